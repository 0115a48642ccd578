package store

import (
	"context"
	"slices"
	"testing"
)

// TestTaken: only UIDs with an origin row under the same UIDVALIDITY count
// as taken, across the chunks of a long list.
func TestTaken(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	update(t, s, func(tx *Tx) error {
		id, err := tx.InsertMail(ctx, &Mail{SHA256: "s1", ReceivedAt: t0}, []byte("x"))
		if err != nil {
			return err
		}
		for _, o := range []Origin{
			{Mailbox: "m", UIDValidity: 9, UID: 3},
			{Mailbox: "m", UIDValidity: 9, UID: 700},
			{Mailbox: "m", UIDValidity: 8, UID: 4},
			{Mailbox: "other", UIDValidity: 9, UID: 5},
		} {
			if err := tx.AddOrigin(ctx, id, o, t0); err != nil {
				return err
			}
		}
		return nil
	})
	var asked []uint32
	for u := range uint32(1200) {
		asked = append(asked, u+1)
	}
	got, err := s.Taken(ctx, "m", 9, asked)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint32{3, 700}; !slices.Equal(got, want) {
		t.Errorf("Taken = %v, want %v", got, want)
	}
	if got, err := s.Taken(ctx, "m", 9, nil); err != nil || len(got) != 0 {
		t.Errorf("Taken of none = %v, %v", got, err)
	}
}
