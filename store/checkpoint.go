package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Checkpoint returns the UIDVALIDITY of an IMAP mailbox and the highest UID
// taken in from it; zeros for a mailbox never read.
func (s *Store) Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT uid_validity, last_uid FROM checkpoints WHERE mailbox = ?`, mailbox).
		Scan(&uidValidity, &lastUID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint of %s: %w", mailbox, err)
	}
	return uidValidity, lastUID, nil
}

// AdvanceCheckpoint moves the mailbox's checkpoint to o's UID if that is
// higher, or resets it when the mailbox's UIDVALIDITY changed. File
// origins have no checkpoint.
func (tx *Tx) AdvanceCheckpoint(ctx context.Context, o Origin, at time.Time) error {
	if o.IsFile() || o.Mailbox == "" {
		return nil
	}
	_, err := exec(ctx, tx.tx, "advance checkpoint",
		`INSERT INTO checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (mailbox) DO UPDATE SET
		   last_uid = CASE WHEN checkpoints.uid_validity = excluded.uid_validity THEN (CASE WHEN excluded.last_uid > checkpoints.last_uid THEN excluded.last_uid ELSE checkpoints.last_uid END) ELSE excluded.last_uid END,
		   uid_validity = excluded.uid_validity,
		   updated_at = excluded.updated_at`,
		o.Mailbox, o.UIDValidity, o.UID, tstr(at))
	return err
}
