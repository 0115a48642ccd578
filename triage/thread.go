package triage

import (
	"errors"
	"slices"

	"github.com/hospital-league/leaguemail/replytoken"
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
		} else if n, ok := replytoken.Ticket(tok); ok {
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

// ticket returns ticket n, nil if there is none. A ticket merged into
// another gives that other one: the merged ticket's tokens, tags and
// Message-IDs thread to where its conversation went.
func (in *intake) ticket(n int64) (*store.Ticket, error) {
	n, err := in.resolve(n)
	if err != nil || n == 0 {
		return nil, err
	}
	t, err := in.tx.Ticket(in.ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// maxMerges bounds the chain of merges followed from one ticket.
const maxMerges = 16

// resolve follows ticket n's merges to the ticket it lives on now; 0 if
// there is no ticket n.
func (in *intake) resolve(n int64) (int64, error) {
	for range maxMerges {
		w, err := in.tx.Work(in.ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		if w.MergedInto == 0 {
			return n, nil
		}
		n = w.MergedInto
	}
	return n, nil
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

// triagerAddrs returns the addresses of every triager, configured or a
// contact, sorted, each once.
func (in *intake) triagerAddrs() ([]string, error) {
	ts, err := in.tx.Triagers(in.ctx)
	if err != nil {
		return nil, err
	}
	for t := range in.g.triagers {
		ts = append(ts, t)
	}
	ts = slices.DeleteFunc(ts, func(t string) bool { return t == "" })
	slices.Sort(ts)
	return slices.Compact(ts), nil
}
