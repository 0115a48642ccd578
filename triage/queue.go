package triage

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hospital-league/leaguemail/store"
)

// TicketData is the template data of the mails about a ticket: what the
// acknowledgement and the triagers' notice can say.
type TicketData struct {
	Ticket       int64    `json:"ticket"`
	Tag          string   `json:"tag"` // "[League #12]"
	Subject      string   `json:"subject"`
	Reporter     string   `json:"reporter"`
	ReporterName string   `json:"reporter_name,omitempty"`
	Institution  string   `json:"institution,omitempty"`
	Country      string   `json:"country,omitempty"`
	Indicators   []IndVal `json:"indicators"`
	// IndicatorCount counts them all; Indicators holds the first 100.
	IndicatorCount int          `json:"indicator_count"`
	Attachments    int          `json:"attachments"`
	Correlation    *Correlation `json:"correlation,omitempty"`
	// Follows is the closed ticket this one follows.
	Follows int64    `json:"follows,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	// ReplyTo is the recipient's own reply address, with its token.
	ReplyTo string `json:"reply_to,omitempty"`

	// The fields below serve the mails of triage commands; notify reads
	// them under these keys (see notify's package comment).

	Severity string    `json:"severity,omitempty"`
	TLP      string    `json:"tlp,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	// Text is a triager's words (#reply), or, in a triagers' update, what
	// the mail that caused it says.
	Text string `json:"text,omitempty"`
	// Command and Result are the command lines a confirmation, an error or
	// an update is about, and what came of them.
	Command string `json:"command,omitempty"`
	Result  string `json:"result,omitempty"`
	// RecipientName is whom an escalation or an alert addresses; Area is
	// the area an alert is for.
	RecipientName string `json:"recipient_name,omitempty"`
	Area          string `json:"area,omitempty"`
}

// IndVal is an indicator in template data; templates defang it.
type IndVal struct {
	Type     string `json:"type"`
	Value    string `json:"value"`
	Verified bool   `json:"verified,omitempty"`
}

func (in *intake) ticketData(t *store.Ticket, corr *Correlation) TicketData {
	d := TicketData{
		Ticket: t.Number, Tag: in.g.tag(t.Number), Subject: t.Subject, Reporter: t.Reporter,
		ReporterName: t.ReporterName, IndicatorCount: len(in.msg.Indicators), Attachments: len(in.msg.Attachments),
		Correlation: corr, Follows: t.Follows, Errors: in.msg.Errors, Indicators: []IndVal{},
	}
	if t.Institution != nil {
		d.Institution, d.Country = t.Institution.Name, t.Institution.Country
	}
	for i, x := range in.msg.Indicators {
		if i == 100 {
			break
		}
		d.Indicators = append(d.Indicators, IndVal{Type: x.Type, Value: x.Value})
	}
	return d
}

func (g *Gateway) tag(n int64) string { return fmt.Sprintf("[%s #%d]", g.cfg.Tag, n) }

// subject builds the subject of one of our mails about ticket n: the tag,
// then the reporter's subject without earlier tags, on one line.
func (g *Gateway) subject(n int64, prefix, orig string) string {
	orig = oneLine(orig)
	// Drop tags of ours already there ("Re: [League #3] ...").
	for {
		i := strings.Index(orig, "["+g.cfg.Tag+" #")
		if i < 0 {
			break
		}
		j := strings.Index(orig[i:], "]")
		if j < 0 {
			break
		}
		orig = strings.TrimSpace(orig[:i] + orig[i+j+1:])
	}
	if orig == "" {
		orig = "(no subject)"
	}
	if utf8.RuneCountInString(orig) > 160 {
		orig = string([]rune(orig)[:160]) + "..."
	}
	return g.tag(n) + " " + prefix + orig
}

// newMessageID makes the Message-ID of a mail we will send about ticket n.
func (g *Gateway) newMessageID(n int64) string {
	b := make([]byte, 12)
	rand.Read(b)
	_, dom, _ := strings.Cut(g.address, "@")
	return fmt.Sprintf("<t%d.%s@%s>", n, hex.EncodeToString(b), dom)
}

// queueAck queues the acknowledgement of a new report, or records why it
// is suppressed: a mail that must not be answered (DESIGN.md invariant 3),
// or a sender over the rate limit.
func (in *intake) queueAck(n int64, data TicketData) error {
	ok, reason := in.g.Answerable(in.msg)
	if ok {
		since := in.now.Add(-in.g.cfg.AckWindow)
		count, err := in.tx.CountQueued(in.ctx, store.KindAck, in.from, since)
		if err != nil {
			return err
		}
		if count >= in.g.cfg.AckLimit {
			ok, reason = false, fmt.Sprintf("rate limit: %d acknowledgements to %s in the last %s", count, in.from, in.g.cfg.AckWindow)
		}
	}
	state := store.OutboxQueued
	if !ok {
		state = store.OutboxSuppressed
	}
	m := in.outMail(n, store.KindAck, in.from, in.g.subject(n, "Received: ", in.msg.Subject), data, true)
	m.State, m.LastError = state, reason
	return in.enqueue(n, m, "reporter")
}

// queueTriagerNotices tells every triager of the new ticket.
func (in *intake) queueTriagerNotices(n int64, data TicketData) error {
	ts, err := in.triagerAddrs()
	if err != nil {
		return err
	}
	for _, t := range ts {
		m := in.outMail(n, store.KindTriagerNotice, t, in.g.subject(n, "New report: ", in.msg.Subject), data, false)
		if err := in.enqueue(n, m, "triager"); err != nil {
			return err
		}
	}
	return nil
}

// outMail composes one outbox mail about ticket n to one recipient, with
// the recipient's own reply token. thread makes it a reply to the mail
// being taken in.
func (in *intake) outMail(n int64, kind, to, subject string, data TicketData, thread bool) *store.OutboxMail {
	g := in.g
	m := &store.OutboxMail{
		Ticket: n, Kind: kind, From: g.address, MessageID: g.newMessageID(n), Subject: subject,
		Template: kind, CreatedAt: in.now, Cause: in.mail, Recipients: []string{},
	}
	if to != "" {
		m.Recipients = []string{to}
		m.ReplyTo = ReplyAddress(g.address, g.tokens.Issue(n, to))
	}
	if id := normID(in.msg.MessageID); thread && id != "" {
		for _, r := range in.msg.References {
			if r = normID(r); r != "" {
				m.References = append(m.References, r)
			}
		}
		m.References = append(m.References, id)
		if len(m.References) > 10 {
			m.References = append(m.References[:1], m.References[len(m.References)-9:]...)
		}
		m.InReplyTo = id
	}
	data.ReplyTo = m.ReplyTo
	m.Data = mustJSON(data)
	return m
}

// enqueue adds m to the outbox, records it on the ticket, and makes its
// recipient a participant.
func (in *intake) enqueue(n int64, m *store.OutboxMail, role string) error {
	if _, err := in.tx.Enqueue(in.ctx, m); err != nil {
		return err
	}
	to := strings.Join(m.Recipients, ", ")
	ev := in.event(n, "queued", fmt.Sprintf("%s to %s queued (%s)", m.Kind, to, m.MessageID))
	if m.State == store.OutboxSuppressed {
		ev.Kind, ev.Detail = "suppressed", fmt.Sprintf("%s to %s not sent: %s", m.Kind, orNone(to), m.LastError)
	}
	ev.Actor = "leaguemail"
	ev.Data = mustJSON(map[string]any{"outbox": m.ID})
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	if m.State == store.OutboxSuppressed {
		return nil
	}
	for _, r := range m.Recipients {
		if err := in.tx.AddParticipant(in.ctx, n, r, role, in.now); err != nil {
			return err
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(no one)"
	}
	return s
}
