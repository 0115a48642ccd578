package store

import (
	"context"
	"maps"
	"testing"
)

// TestHands: what was in hand when the process died counts a crash, once
// per death, in a row; a release ends the row; a group in hand makes every
// member a suspect; what was taken meanwhile is no suspect.
func TestHands(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const box = "imap://report@h/INBOX"
	hold := func(uids ...uint32) {
		t.Helper()
		if err := s.Hold(ctx, box, 7, uids, t0); err != nil {
			t.Fatal(err)
		}
	}
	crash := func(want map[uint32]int) {
		t.Helper()
		got, err := s.Recover(ctx, box, 7, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("after a crash: suspects %v, want %v", got, want)
		}
	}
	crash(map[uint32]int{}) // a first start

	hold(10, 11, 12, 13)              // a group
	update(t, s, func(tx *Tx) error { // 10 was taken before the death
		id, err := tx.InsertMail(ctx, &Mail{SHA256: "s10", ReceivedAt: t0}, []byte("x"))
		if err != nil {
			return err
		}
		return tx.AddOrigin(ctx, id, Origin{Mailbox: box, UIDValidity: 7, UID: 10}, t0)
	})
	crash(map[uint32]int{11: 1, 12: 1, 13: 1})

	// Each suspect alone: 11 fine, 12 kills again.
	hold(11)
	if err := s.Release(ctx, box, 7, []uint32{11}); err != nil {
		t.Fatal(err)
	}
	hold(12)
	crash(map[uint32]int{12: 2, 13: 1})
	hold(12)
	crash(map[uint32]int{12: 3, 13: 1})
	// A clean stop with nothing in hand counts nothing more.
	crash(map[uint32]int{12: 3, 13: 1})

	// Another UIDVALIDITY: the old rows mean nothing any more.
	got, err := s.Recover(ctx, box, 8, t0)
	if err != nil || len(got) != 0 {
		t.Errorf("under a new UIDVALIDITY: %v, %v; want none", got, err)
	}
	if got, _ := s.Recover(ctx, box, 7, t0); len(got) != 0 {
		t.Errorf("rows of the old UIDVALIDITY kept: %v", got)
	}
	if err := s.Release(ctx, box, 7, nil); err != nil {
		t.Errorf("release of none: %v", err)
	}
}
