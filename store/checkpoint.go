package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
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
// origins have no checkpoint. The change is written when the transaction
// commits (or the UIDVALIDITY changes): a group commit advances one
// mailbox's checkpoint once, not once per mail, to the same end.
func (tx *Tx) AdvanceCheckpoint(ctx context.Context, o Origin, at time.Time) error {
	if o.IsFile() || o.Mailbox == "" {
		return nil
	}
	if tx.checkpoints == nil {
		tx.checkpoints = map[string]*advance{}
	}
	a := tx.checkpoints[o.Mailbox]
	switch {
	case a == nil:
		tx.checkpoints[o.Mailbox] = &advance{o.UIDValidity, o.UID, at}
		return nil
	case a.uidValidity == o.UIDValidity:
		a.uid, a.at = max(a.uid, o.UID), at
		return nil
	}
	// A reset between advances: the ones before it go first.
	if err := tx.writeCheckpoint(ctx, o.Mailbox, a); err != nil {
		return err
	}
	*a = advance{o.UIDValidity, o.UID, at}
	return nil
}

// advance is a checkpoint change not yet written.
type advance struct {
	uidValidity, uid uint32
	at               time.Time
}

// writeCheckpoints writes the checkpoint changes of the transaction.
func (tx *Tx) writeCheckpoints(ctx context.Context) error {
	for mailbox, a := range tx.checkpoints {
		if err := tx.writeCheckpoint(ctx, mailbox, a); err != nil {
			return err
		}
	}
	tx.checkpoints = nil
	return nil
}

func (tx *Tx) writeCheckpoint(ctx context.Context, mailbox string, a *advance) error {
	_, err := exec(ctx, tx.tx, "advance checkpoint",
		`INSERT INTO checkpoints (mailbox, uid_validity, last_uid, updated_at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (mailbox) DO UPDATE SET
		   last_uid = CASE WHEN checkpoints.uid_validity = excluded.uid_validity THEN (CASE WHEN excluded.last_uid > checkpoints.last_uid THEN excluded.last_uid ELSE checkpoints.last_uid END) ELSE excluded.last_uid END,
		   uid_validity = excluded.uid_validity,
		   updated_at = excluded.updated_at`,
		mailbox, a.uidValidity, a.uid, tstr(a.at))
	return err
}

// Taken returns those of uids (UIDs of the mailbox under uidValidity) that
// a mail was taken in from, sorted. The intake asks before it files mail
// below its checkpoint as processed: the checkpoint says where fetching
// resumes, not that every UID under it was taken.
func (s *Store) Taken(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) ([]uint32, error) {
	var taken []uint32
	// SQLite binds at most 32766 parameters; stay far below.
	for chunk := range slices.Chunk(uids, 500) {
		args := []any{mailbox, uidValidity}
		for _, u := range chunk {
			args = append(args, u)
		}
		q := `SELECT DISTINCT uid FROM origins WHERE mailbox = ? AND uid_validity = ? AND uid IN (?` +
			strings.Repeat(",?", len(chunk)-1) + `)`
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("taken uids of %s: %w", mailbox, err)
		}
		for rows.Next() {
			var u uint32
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("taken uids of %s: %w", mailbox, err)
			}
			taken = append(taken, u)
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("taken uids of %s: %w", mailbox, err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("taken uids of %s: %w", mailbox, err)
		}
	}
	slices.Sort(taken)
	return taken, nil
}
