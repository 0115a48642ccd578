package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MailParse returns the parser's result of mail id, as JSON.
func (tx *Tx) MailParse(ctx context.Context, id int64) ([]byte, error) {
	var parse sql.NullString
	err := tx.tx.QueryRowContext(ctx, `SELECT parse FROM mails WHERE id = ?`, id).Scan(&parse)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("mail %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mail %d: %w", id, err)
	}
	return []byte(parse.String), nil
}

// ThreadRoot returns the Message-ID of the first mail of kind about
// ticket n queued to recipient (the triager's notice of a new report):
// the mail every later mail of the ticket to them refers to, so that a
// mail client shows one thread per ticket. "" if there is none.
func (tx *Tx) ThreadRoot(ctx context.Context, n int64, kind, recipient string) (string, error) {
	var id string
	err := tx.tx.QueryRowContext(ctx,
		`SELECT message_id FROM outbox WHERE ticket = ? AND kind = ? AND recipients = ? ORDER BY id LIMIT 1`,
		n, kind, jstr([]string{recipient})).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("thread of ticket %d: %w", n, err)
	}
	return id, nil
}
