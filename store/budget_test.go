package store

import (
	"context"
	"testing"
	"time"
)

// TestCountAutomatic: the budget of automatic mail (DESIGN.md invariant 7)
// is counted on both stores: all of the hour's automatic mail, no further
// than a limit, and what was sent.
func TestCountAutomatic(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n, mail := newTicket(t, s, "budget", "soc@hospital-a.example")
	var ids []int64
	update(t, s, func(tx *Tx) error {
		for i, kind := range []string{KindAck, KindAck, KindTriagerNotice, KindEscalation, KindAck} {
			at := t0.Add(time.Duration(i) * time.Minute)
			if i == 0 {
				at = t0.Add(-2 * time.Hour) // before the hour counted
			}
			id, err := tx.Enqueue(ctx, &OutboxMail{Ticket: n, Kind: kind, Recipients: []string{"soc@hospital-a.example"},
				MessageID: "<b" + string(rune('a'+i)) + "@league.example>", Template: "ack", CreatedAt: at, Cause: mail})
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	since := t0.Add(-time.Minute)
	update(t, s, func(tx *Tx) error {
		all, err := tx.CountAutomatic(ctx, since)
		if err != nil {
			return err
		}
		if all != 3 { // two acks and a notice; the escalation is a person's act
			t.Errorf("CountAutomatic = %d, want 3", all)
		}
		upTo, err := tx.CountAutomaticUpTo(ctx, since, 2)
		if err != nil {
			return err
		}
		if upTo != 2 {
			t.Errorf("CountAutomaticUpTo(2) = %d, want 2", upTo)
		}
		return nil
	})
	if err := s.MarkSent(ctx, ids[1], t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	sent, err := s.CountAutomaticSent(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if sent != 1 {
		t.Errorf("CountAutomaticSent = %d, want 1", sent)
	}
}
