package triage

import (
	"errors"
	"slices"

	"github.com/hospital-league/leaguemail/store"
)

// thread is the ticket a mail belongs to, and how that was found.
type thread struct {
	ticket *store.Ticket
	// by is token, in-reply-to, references, subject-tag, or token-unverified
	// (a token whose MAC is not the sender's: a forwarded mail's).
	by string
	// verified is set when a token issued to the sender matched: the
	// sender is the participant the token was given to.
	verified bool
}

// thread matches a mail to a ticket as DESIGN.md's Threading says: by a
// reply token issued to the sender, then by In-Reply-To and References
// (our mails' Message-IDs, and those of mails on a ticket), then by the
// subject tag. A token issued to someone else counts last, like a tag.
func (in *intake) thread() (thread, error) {
	var loose []int64
	for _, tok := range in.msg.Tokens {
		if n, ok := in.g.tokens.Verify(tok, in.from); ok {
			t, err := in.ticket(n)
			if t != nil || err != nil {
				return thread{ticket: t, by: "token", verified: true}, err
			}
		} else if n, _, ok := splitToken(tok); ok {
			loose = append(loose, n)
		}
	}
	if id := normID(in.msg.InReplyTo); id != "" {
		t, err := in.ticketOfMessageID(id)
		if t != nil || err != nil {
			return thread{ticket: t, by: "in-reply-to"}, err
		}
	}
	refs := slices.Clone(in.msg.References)
	slices.Reverse(refs) // the latest first
	for _, r := range refs {
		t, err := in.ticketOfMessageID(normID(r))
		if t != nil || err != nil {
			return thread{ticket: t, by: "references"}, err
		}
	}
	if in.msg.TicketRef != nil {
		t, err := in.ticket(*in.msg.TicketRef)
		if t != nil || err != nil {
			return thread{ticket: t, by: "subject-tag"}, err
		}
	}
	for _, n := range loose {
		t, err := in.ticket(n)
		if t != nil || err != nil {
			return thread{ticket: t, by: "token-unverified"}, err
		}
	}
	return thread{}, nil
}

// ticket returns ticket n, nil if there is none.
func (in *intake) ticket(n int64) (*store.Ticket, error) {
	t, err := in.tx.Ticket(in.ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ticketOfMessageID returns the ticket of one of our mails or of a mail on
// a ticket with that Message-ID.
func (in *intake) ticketOfMessageID(id string) (*store.Ticket, error) {
	if id == "" {
		return nil, nil
	}
	o, err := in.tx.OutboxByMessageID(in.ctx, id)
	switch {
	case err == nil && o.Ticket != 0:
		return in.ticket(o.Ticket)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	refs, err := in.tx.MailsByMessageID(in.ctx, id)
	if err != nil {
		return nil, err
	}
	for _, r := range refs {
		if r.Ticket != 0 && r.ID != in.mail {
			return in.ticket(r.Ticket)
		}
	}
	return nil, nil
}

// participant reports whether the sender may write to ticket n: one of its
// participants, or a triager.
func (in *intake) participant(n int64) (bool, error) {
	if in.from == "" {
		return false, nil
	}
	if ok, err := in.isTriager(); ok || err != nil {
		return ok, err
	}
	return in.tx.IsParticipant(in.ctx, n, in.from)
}

func (in *intake) isTriager() (bool, error) {
	if in.g.triagers[in.from] {
		return true, nil
	}
	ts, err := in.tx.Triagers(in.ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(ts, in.from), nil
}
