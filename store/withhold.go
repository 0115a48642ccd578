package store

import (
	"context"
	"time"
)

// Withhold rewrites queued mail id so that it carries no detail: it is
// sent with template and subject instead (a mail that says an encrypted
// report waits for the recipient's key), and an event on its ticket says
// why. The change is made once: the sender sees the new template the next
// time it builds the mail.
func (tx *Tx) Withhold(ctx context.Context, id int64, template, subject, reason string, at time.Time) error {
	m, err := scanOutbox(tx.tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return err
	}
	if err := tx.setOutbox(ctx, id, `template = ?, subject = ?`, template, subject); err != nil {
		return err
	}
	if m.Ticket == 0 {
		return nil
	}
	_, err = tx.AddEvent(ctx, Event{Ticket: m.Ticket, At: at, Actor: "leaguemail", Kind: "detail-withheld", Detail: reason,
		Data: []byte(jstr(map[string]any{"outbox": id, "recipients": m.Recipients}))})
	return err
}
