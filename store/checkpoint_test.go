package store

import (
	"context"
	"errors"
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

// TestCheckpointInOneTransaction: the advances of one transaction (a group
// commit) end where the same advances in transactions of their own would,
// a change of UIDVALIDITY between them included; a rolled back one moves
// nothing.
func TestCheckpointInOneTransaction(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		before       []Origin // each committed alone
		group        []Origin // committed together
		wantV, wantU uint32
	}{
		{"highest wins", nil, []Origin{{"INBOX", 5, 10}, {"INBOX", 5, 7}, {"INBOX", 5, 12}}, 5, 12},
		{"below the stored one", []Origin{{"INBOX", 5, 20}}, []Origin{{"INBOX", 5, 10}}, 5, 20},
		{"reset inside", []Origin{{"INBOX", 5, 20}}, []Origin{{"INBOX", 5, 30}, {"INBOX", 6, 2}, {"INBOX", 6, 1}}, 6, 2},
		{"reset and back", []Origin{{"INBOX", 6, 20}}, []Origin{{"INBOX", 5, 4}, {"INBOX", 6, 2}}, 6, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			for _, o := range tc.before {
				update(t, s, func(tx *Tx) error { return tx.AdvanceCheckpoint(ctx, o, t0) })
			}
			update(t, s, func(tx *Tx) error {
				for _, o := range tc.group {
					if err := tx.AdvanceCheckpoint(ctx, o, t0); err != nil {
						return err
					}
				}
				return nil
			})
			if v, u, err := s.Checkpoint(ctx, "INBOX"); err != nil || v != tc.wantV || u != tc.wantU {
				t.Errorf("Checkpoint = %d %d %v, want %d %d", v, u, err, tc.wantV, tc.wantU)
			}
			// A group that fails leaves the checkpoint where it was.
			s.Update(ctx, func(tx *Tx) error {
				tx.AdvanceCheckpoint(ctx, Origin{"INBOX", tc.wantV, tc.wantU + 100}, t0)
				return errors.New("refused")
			})
			if v, u, _ := s.Checkpoint(ctx, "INBOX"); v != tc.wantV || u != tc.wantU {
				t.Errorf("after a rolled back group: Checkpoint = %d %d, want %d %d", v, u, tc.wantV, tc.wantU)
			}
		})
	}
}
