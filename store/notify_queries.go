package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Queries of the outbox sender (package notify) that the rest of the
// store had no need for.

// MarkSuppressed records that queued mail id will not be sent, with the
// reason (a last check before sending refused it), and says so on its
// ticket with a "suppressed" event.
func (s *Store) MarkSuppressed(ctx context.Context, id int64, reason string, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		m, err := scanOutbox(tx.tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox mail %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("outbox mail %d: %w", id, err)
		}
		if err := tx.setOutbox(ctx, id, `state = 'suppressed', last_error = ?`, reason); err != nil {
			return err
		}
		if m.Ticket == 0 {
			return nil
		}
		_, err = tx.AddEvent(ctx, Event{Ticket: m.Ticket, At: at, Actor: "leaguemail", Kind: "suppressed",
			Detail: fmt.Sprintf("%s to %s not sent: %s", m.Kind, strings.Join(m.Recipients, ", "), reason),
			Data:   []byte(jstr(map[string]any{"outbox": id}))})
		return err
	})
}

// MarkSentPartly records that mail id was accepted for some of its
// recipients and refused for good for the others, and records a
// "delivery-failed" event for those on its ticket.
func (s *Store) MarkSentPartly(ctx context.Context, id int64, refused map[string]string, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		var ticket int64
		var kind string
		err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(ticket, 0), kind FROM outbox WHERE id = ?`, id).Scan(&ticket, &kind)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("outbox mail %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("outbox mail %d: %w", id, err)
		}
		var parts []string
		for rcpt, why := range refused {
			parts = append(parts, rcpt+": "+why)
		}
		detail := strings.Join(parts, "; ")
		if err := tx.setOutbox(ctx, id, `state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ?`, tstr(at), detail); err != nil {
			return err
		}
		if ticket == 0 {
			return nil
		}
		_, err = tx.AddEvent(ctx, Event{Ticket: ticket, At: at, Actor: "leaguemail", Kind: "delivery-failed",
			Detail: fmt.Sprintf("%s mail refused for some recipients: %s", kind, detail),
			Data:   []byte(jstr(map[string]any{"outbox": id}))})
		return err
	})
}

// Backlog is the state of the outbox queue.
type Backlog struct {
	Queued int       `json:"queued"`
	Due    int       `json:"due"`
	Oldest time.Time `json:"oldest,omitzero"` // when the oldest queued mail was queued
}

// OutboxBacklog counts the queued mails, and those due at now.
func (s *Store) OutboxBacklog(ctx context.Context, now time.Time) (Backlog, error) {
	var b Backlog
	var oldest string
	err := s.r.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(next_attempt_at <= ?), 0), COALESCE(MIN(created_at), '')
		FROM outbox WHERE state = 'queued'`, tstr(now)).Scan(&b.Queued, &b.Due, &oldest)
	if err != nil {
		return Backlog{}, fmt.Errorf("outbox backlog: %w", err)
	}
	b.Oldest = ptime(oldest)
	return b, nil
}
