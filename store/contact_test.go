package store

import (
	"context"
	"slices"
	"testing"
)

// TestTriagersWithinATransaction: the triagers a transaction reads follow
// the contacts it writes and the savepoints it undoes, though they are
// read from the database once.
func TestTriagersWithinATransaction(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	update(t, s, func(tx *Tx) error {
		want := func(step string, emails ...string) {
			t.Helper()
			got, err := tx.Triagers(ctx)
			if err != nil || !slices.Equal(got, emails) {
				t.Errorf("%s: Triagers = %q, %v; want %q", step, got, err, emails)
			}
			if len(got) > 0 {
				got[0] = "changed@by.caller" // must not reach the next caller
			}
		}
		want("none yet")
		if _, err := tx.PutContact(ctx, Contact{Kind: "triager", Email: "b@league.example"}); err != nil {
			return err
		}
		want("one put", "b@league.example")
		want("read again", "b@league.example")
		if err := tx.Savepoint(ctx, "cmd"); err != nil {
			return err
		}
		if _, err := tx.PutContact(ctx, Contact{Kind: "triager", Email: "a@league.example"}); err != nil {
			return err
		}
		want("in the savepoint", "a@league.example", "b@league.example")
		if err := tx.RollbackTo(ctx, "cmd"); err != nil {
			return err
		}
		want("savepoint undone", "b@league.example")
		return nil
	})
}
