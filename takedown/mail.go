package takedown

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

func (s *Service) tag(n int64) string { return fmt.Sprintf("[%s #%d]", s.cfg.Tag, n) }

func (s *Service) messageID(n int64) string {
	b := make([]byte, 12)
	rand.Read(b)
	_, dom, _ := strings.Cut(s.cfg.Address, "@")
	return fmt.Sprintf("<t%d.%s@%s>", n, hex.EncodeToString(b), dom)
}

// outMail composes one outbox mail about ticket n to one recipient, with
// the recipient's own reply token: an abuse desk's answer threads back
// to the ticket by it.
func (s *Service) outMail(n int64, kind, to, subject string, d store.MailData, now time.Time) *store.OutboxMail {
	m := &store.OutboxMail{
		Ticket: n, Kind: kind, From: s.cfg.Address, MessageID: s.messageID(n), Subject: subject,
		Template: kind, CreatedAt: now, Recipients: []string{to},
		ReplyTo: replytoken.Address(s.cfg.Address, s.tokens.Issue(n, to)),
	}
	d.Ticket, d.Tag, d.ReplyTo = n, s.tag(n), m.ReplyTo
	m.SetData(d)
	return m
}

// enqueue adds m to the outbox, records it on the ticket, and makes its
// recipient a participant in role (abuse, reporter, triager).
func (s *Service) enqueue(ctx context.Context, tx *store.Tx, m *store.OutboxMail, role string) error {
	if _, err := tx.Enqueue(ctx, m); err != nil {
		return err
	}
	to := strings.Join(m.Recipients, ", ")
	ev := store.Event{Ticket: m.Ticket, At: m.CreatedAt, Actor: "leaguemail", Kind: "queued",
		Detail: fmt.Sprintf("%s to %s queued (%s)", m.Kind, to, m.MessageID)}
	ev.Data, _ = json.Marshal(map[string]any{"outbox": m.ID})
	if _, err := tx.AddEvent(ctx, ev); err != nil {
		return err
	}
	for _, r := range m.Recipients {
		if err := tx.AddParticipant(ctx, m.Ticket, r, role, m.CreatedAt); err != nil {
			return err
		}
	}
	return nil
}

// triagers are the configured triagers and the triager contacts.
func (s *Service) triagers(ctx context.Context, tx *store.Tx) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, t := range s.cfg.Triagers {
		add(t)
	}
	ts, err := tx.Triagers(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		add(t)
	}
	return out, nil
}

// tellTriagers queues an update about ticket n to every triager.
func (s *Service) tellTriagers(ctx context.Context, tx *store.Tx, t store.Ticket, prefix, result string, now time.Time) error {
	ts, err := s.triagers(ctx, tx)
	if err != nil {
		return err
	}
	for _, to := range ts {
		d := store.MailData{Subject: t.Subject, Severity: t.Severity, TLP: t.TLP, Result: result}
		m := s.outMail(t.Number, store.KindTriagerUpdate, to, s.subject(t.Number, prefix, t.Subject), d, now)
		if err := s.enqueue(ctx, tx, m, "triager"); err != nil {
			return err
		}
	}
	return nil
}

// subject is "[League #12] PREFIX the report's subject", on one line.
func (s *Service) subject(n int64, prefix, orig string) string {
	orig = oneLine(orig)
	tag := s.tag(n)
	for {
		i := strings.Index(orig, "["+s.cfg.Tag+" #")
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
	if len([]rune(orig)) > 120 {
		orig = string([]rune(orig)[:120]) + "..."
	}
	return tag + " " + prefix + orig
}
