package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Hold records that the messages uids of an IMAP mailbox are in the
// intake's hands, before it takes them: one commit for a whole group. A
// row still held when the gateway next starts was in hand when it died.
func (s *Store) Hold(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32, at time.Time) error {
	if len(uids) == 0 {
		return nil
	}
	// A few multi-row statements, not one per UID: the intake holds every
	// batch it fetches, on the writer its commits wait for.
	uids = slices.Compact(slices.Sorted(slices.Values(uids))) // an upsert meets each key once
	return s.Update(ctx, func(tx *Tx) error {
		for chunk := range insertChunks(uids) {
			args := make([]any, 0, 6*len(chunk))
			for _, u := range chunk {
				args = append(args, mailbox, uidValidity, u, 1, 0, tstr(at))
			}
			if _, err := exec(ctx, tx.tx, "hold uids",
				`INSERT INTO intake_hands (mailbox, uid_validity, uid, in_hand, crashes, updated_at) VALUES `+valueRows(len(chunk), 6)+`
				 ON CONFLICT (mailbox, uid_validity, uid) DO UPDATE SET in_hand = 1, updated_at = excluded.updated_at`,
				args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// Release records that the messages uids are out of the intake's hands:
// taken, rejected or filed. It ends their run of crashes.
func (s *Store) Release(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	return s.Update(ctx, func(tx *Tx) error {
		for chunk := range slices.Chunk(uids, 500) {
			args := []any{mailbox, uidValidity}
			for _, u := range chunk {
				args = append(args, u)
			}
			if _, err := exec(ctx, tx.tx, "release uids",
				`DELETE FROM intake_hands WHERE mailbox = ? AND uid_validity = ? AND uid IN (?`+strings.Repeat(",?", len(chunk)-1)+`)`,
				args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// Recover is called once when the gateway starts reading the mailbox: what
// it finds still in hand was in hand when the last process died, and
// counts one more crash; what was taken meanwhile (its origin is recorded)
// is no suspect. It returns the suspects with their crashes in a row. Rows
// of another UIDVALIDITY are dropped: those UIDs name nothing any more.
func (s *Store) Recover(ctx context.Context, mailbox string, uidValidity uint32, at time.Time) (map[uint32]int, error) {
	suspects := map[uint32]int{}
	err := s.Update(ctx, func(tx *Tx) error {
		clear(suspects)
		// Plain "?" placeholders, each with its own argument: a prepared
		// statement takes exactly as many as it has, and the PostgreSQL
		// store numbers them in order.
		for _, q := range []struct {
			what, sql string
			args      []any
		}{
			{"drop hands of an old uidvalidity", `DELETE FROM intake_hands WHERE mailbox = ? AND uid_validity <> ?`,
				[]any{mailbox, uidValidity}},
			{"drop hands taken meanwhile", `DELETE FROM intake_hands WHERE mailbox = ? AND uid_validity = ? AND EXISTS
				(SELECT 1 FROM origins o WHERE o.mailbox = ? AND o.uid_validity = ? AND o.uid = intake_hands.uid)`,
				[]any{mailbox, uidValidity, mailbox, uidValidity}},
			{"count crashes", `UPDATE intake_hands SET crashes = crashes + 1, in_hand = 0, updated_at = ?
				WHERE mailbox = ? AND uid_validity = ? AND in_hand = 1`,
				[]any{tstr(at), mailbox, uidValidity}},
		} {
			if _, err := exec(ctx, tx.tx, q.what, q.sql, q.args...); err != nil {
				return err
			}
		}
		rows, err := tx.tx.QueryContext(ctx, `SELECT uid, crashes FROM intake_hands WHERE mailbox = ? AND uid_validity = ? AND crashes > 0`,
			mailbox, uidValidity)
		if err != nil {
			return fmt.Errorf("read suspects: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var u uint32
			var n int
			if err := rows.Scan(&u, &n); err != nil {
				return fmt.Errorf("read suspects: %w", err)
			}
			suspects[u] = n
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("recover the intake of %s: %w", mailbox, err)
	}
	return suspects, nil
}
