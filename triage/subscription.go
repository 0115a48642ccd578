package triage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// Area alerts are a list an institution can leave (issue 15): each alert
// carries List-Id and List-Unsubscribe (RFC 2369) with the recipient's own
// mailto address, report+unsubscribe-TOKEN@, and a one-click link (RFC
// 8058) when the league publishes one. Leaving keeps the contact (its
// tickets keep their institution) and stops its alerts; a mail to
// report+subscribe@ from a known, authenticated contact brings it back.
//
// The token (package replytoken) names the contact and carries a MAC
// over its id and address.

// UnsubscribeToken returns the token that takes contact c off the alerts.
func (g *Gateway) UnsubscribeToken(c store.Contact) string {
	return g.tokens.Unsubscribe(c.ID, c.Email)
}

// ErrBadToken says that an unsubscribe token names no contact of ours.
var ErrBadToken = errors.New("not a valid unsubscribe token")

// contactOfToken returns the contact an unsubscribe token was made for.
func (g *Gateway) contactOfToken(ctx context.Context, tx *store.Tx, token string) (store.Contact, error) {
	id, ok := replytoken.UnsubscribeContact(token)
	if !ok {
		return store.Contact{}, ErrBadToken
	}
	c, err := tx.ContactByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Contact{}, ErrBadToken
	}
	if err != nil {
		return store.Contact{}, err
	}
	if !g.tokens.VerifyUnsubscribe(token, c.ID, c.Email) {
		return store.Contact{}, ErrBadToken
	}
	return c, nil
}

// listFor is what an alert to contact c carries to be left.
func (g *Gateway) listFor(c store.Contact) *store.MailList {
	local, domain, _ := strings.Cut(g.address, "@")
	tok := g.UnsubscribeToken(c)
	l := &store.MailList{ID: "alerts." + domain, Mailto: local + "+" + plusUnsubscribe + tok + "@" + domain,
		Subscribe: local + "+" + plusSubscribe + "@" + domain}
	if g.cfg.UnsubscribeURL != "" {
		l.URL = strings.TrimSuffix(g.cfg.UnsubscribeURL, "/") + "/" + tok
	}
	return l
}

// Unsubscribe takes the contact of token off the area alerts, as the
// one-click link does (RFC 8058 section 3.2: a POST, never a GET), and
// confirms it to the contact's own address. It returns the contact.
func (g *Gateway) Unsubscribe(ctx context.Context, token, how string) (store.Contact, error) {
	var c store.Contact
	err := g.st.Update(ctx, func(tx *store.Tx) error {
		var err error
		c, err = g.unsubscribe(ctx, tx, token, how, g.cfg.Now(), 0)
		return err
	})
	return c, err
}

func (g *Gateway) unsubscribe(ctx context.Context, tx *store.Tx, token, how string, now time.Time, cause int64) (store.Contact, error) {
	c, err := g.contactOfToken(ctx, tx, token)
	if err != nil {
		return c, err
	}
	changed, err := tx.SetSubscribed(ctx, c.ID, false)
	if err != nil || !changed {
		return c, err
	}
	c.Unsubscribed = true
	g.log.InfoContext(ctx, "left the area alerts", "contact", c.Email, "how", how)
	return c, g.queueSubscription(ctx, tx, c, "unsubscribed", "You left the area alerts", now, cause)
}

// queueSubscription confirms a change of subscription to the contact's own
// address: never to the From of a mail, which anyone can write.
func (g *Gateway) queueSubscription(ctx context.Context, tx *store.Tx, c store.Contact, template, subject string, now time.Time, cause int64) error {
	m := &store.OutboxMail{Kind: store.KindMembership, Template: template, From: g.address, ReplyTo: g.address,
		MessageID: g.newMessageID(0), Subject: fmt.Sprintf("[%s] %s", g.cfg.Tag, subject), CreatedAt: now, Cause: cause,
		Recipients: []string{c.Email}}
	m.SetData(store.MailData{RecipientName: c.Name, Country: c.Country, Area: area(c), List: g.listFor(c)})
	_, err := tx.Enqueue(ctx, m)
	return err
}

func area(c store.Contact) string {
	if c.Region != "" {
		return c.Region + " (" + c.Country + ")"
	}
	return c.Country
}

// Dispositions of list mail.
const (
	DispUnsubscribe = "unsubscribe"
	DispSubscribe   = "subscribe"
)

// unsubscribeMail handles a mail to report+unsubscribe-TOKEN@: a mail
// client's List-Unsubscribe button sends it. The token, not the From,
// says whom it is for.
func (in *intake) unsubscribeMail(token string) error {
	c, err := in.g.unsubscribe(in.ctx, in.tx, token, "mail from "+in.actor(), in.now, in.mail)
	if errors.Is(err, ErrBadToken) {
		in.g.log.WarnContext(in.ctx, "unsubscribe mail with a bad token", "from", in.from, "token", token)
		in.done(DispUnsubscribe+DispUnmatched, 0)
		return nil
	}
	if err != nil {
		return err
	}
	in.g.log.InfoContext(in.ctx, "unsubscribe mail", "contact", c.Email, "from", in.from)
	in.done(DispUnsubscribe, 0)
	return nil
}

// subscribe handles a mail to report+subscribe@: a known institution,
// authenticated by our MTA, comes back to the alerts; anyone else is
// asking to join.
func (in *intake) subscribe() error {
	cs, err := in.tx.ContactsByEmail(in.ctx, in.from)
	if err != nil {
		return err
	}
	var inst *store.Contact
	for i := range cs {
		if cs[i].Kind == "institution" {
			inst = &cs[i]
		}
	}
	if inst == nil {
		return in.openMembership()
	}
	if why := in.unauthenticatedWhy(); why != "" {
		// Anyone can write an institution's From: a forged one does not
		// bring alerts to a hospital that left them.
		in.g.log.WarnContext(in.ctx, "subscribe mail not authenticated", "from", in.from, "why", why)
		in.done(DispSubscribe+DispUnmatched, 0)
		return nil
	}
	changed, err := in.tx.SetSubscribed(in.ctx, inst.ID, true)
	if err != nil {
		return err
	}
	if changed {
		inst.Unsubscribed = false
		if err := in.g.queueSubscription(in.ctx, in.tx, *inst, "subscribed", "You receive the area alerts again", in.now, in.mail); err != nil {
			return err
		}
		in.g.log.InfoContext(in.ctx, "back on the area alerts", "contact", inst.Email)
	}
	in.done(DispSubscribe, 0)
	return nil
}
