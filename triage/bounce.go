package triage

import (
	"errors"
	"slices"
	"strings"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// bounce records a delivery status notification: on the outbox mail it
// returns (failed, with the DSN's status) and on that mail's ticket. It
// never opens a ticket and is never answered.
func (in *intake) bounce() error {
	b := in.msg.Bounce
	var cands []string
	if b != nil {
		cands = append(cands, b.OriginalMessageID)
	}
	cands = append(cands, in.msg.InReplyTo)
	refs := slices.Clone(in.msg.References)
	slices.Reverse(refs)
	cands = append(cands, refs...)
	for _, c := range cands {
		id := normID(c)
		if id == "" {
			continue
		}
		o, err := in.tx.OutboxByMessageID(in.ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		return in.bounceOf(o)
	}
	// A bounce sent to a token address names its ticket, if not the mail.
	for _, tok := range in.msg.Tokens {
		if n, ok := replytoken.Ticket(tok); ok {
			t, err := in.ticket(n)
			if err != nil {
				return err
			}
			if t == nil {
				continue
			}
			if err := in.tx.AttachMail(in.ctx, store.TicketMail{Mail: in.mail, Ticket: n, Role: "bounce", MatchedBy: "token-unverified"}); err != nil {
				return err
			}
			ev := in.event(n, "bounce", "a bounce for this ticket that matches none of its mails: "+in.bounceText())
			if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
				return err
			}
			in.done(DispBounce, n)
			return nil
		}
	}
	in.done(DispBounce+DispUnmatched, 0)
	return nil
}

func (in *intake) bounceOf(o store.OutboxMail) error {
	var status, action string
	if b := in.msg.Bounce; b != nil {
		status, action = b.Status, strings.ToLower(b.Action)
	}
	if o.Ticket != 0 {
		if err := in.tx.AttachMail(in.ctx, store.TicketMail{Mail: in.mail, Ticket: o.Ticket, Role: "bounce", MatchedBy: "dsn"}); err != nil {
			return err
		}
	}
	in.done(DispBounce, o.Ticket)
	switch {
	case action == "delivered" || action == "relayed" || action == "expanded":
		return in.bounceEvent(o, "delivery-report", o.Kind+" mail "+action+": "+in.bounceText())
	case action == "delayed" || strings.HasPrefix(status, "4."):
		return in.bounceEvent(o, "delivery-delayed", o.Kind+" mail delayed: "+in.bounceText())
	}
	return in.tx.MarkFailed(in.ctx, o.ID, store.Failure{Reason: in.bounceText(), DSNStatus: status, Mail: in.mail, At: in.now})
}

func (in *intake) bounceEvent(o store.OutboxMail, kind, detail string) error {
	if o.Ticket == 0 {
		return nil
	}
	_, err := in.tx.AddEvent(in.ctx, in.event(o.Ticket, kind, detail))
	return err
}

// bounceText says what the DSN says.
func (in *intake) bounceText() string {
	var parts []string
	if b := in.msg.Bounce; b != nil {
		if b.Diagnostic != "" {
			parts = append(parts, oneLine(b.Diagnostic))
		}
		if len(b.Recipients) > 0 {
			parts = append(parts, "for "+strings.Join(b.Recipients, ", "))
		}
	}
	if len(parts) == 0 && in.msg.AutoReason != "" {
		parts = append(parts, in.msg.AutoReason)
	}
	if len(parts) == 0 {
		return "returned as undeliverable"
	}
	return strings.Join(parts, " ")
}
