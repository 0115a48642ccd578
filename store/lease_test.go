package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestLeaseAndFence(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, err := s.AcquireLease(ctx, "leader", "gw-a", 300*time.Millisecond)
	if err != nil || !a.Held || !a.Taken || a.Epoch != 1 {
		t.Fatalf("first acquire: %+v, %v", a, err)
	}
	b, err := s.AcquireLease(ctx, "leader", "gw-b", 300*time.Millisecond)
	if err != nil || b.Held || b.Holder != "gw-a" {
		t.Fatalf("standby took a held lease: %+v, %v", b, err)
	}
	if r, _ := s.AcquireLease(ctx, "leader", "gw-a", 300*time.Millisecond); !r.Held || r.Taken || r.Epoch != 1 {
		t.Fatalf("renewal: %+v", r)
	}
	fenced := WithFence(ctx, a.Lease)
	put := func(tx *Tx, v string) error {
		_, err := exec(ctx, tx.tx, "put", `INSERT INTO settings (key, value) VALUES ('k', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, []byte(v))
		return err
	}
	if err := s.Update(fenced, func(tx *Tx) error { return put(tx, "a") }); err != nil {
		t.Fatalf("leader's fenced write: %v", err)
	}
	// gw-a stops renewing (paused, cut off): once its lease has run out,
	// gw-b takes over, and nothing gw-a writes under its old lease commits.
	time.Sleep(400 * time.Millisecond)
	b, err = s.AcquireLease(ctx, "leader", "gw-b", time.Minute)
	if err != nil || !b.Held || !b.Taken || b.Epoch != 2 {
		t.Fatalf("takeover: %+v, %v", b, err)
	}
	err = s.Update(fenced, func(tx *Tx) error { return put(tx, "stale") })
	if !errors.Is(err, ErrLostLease) {
		t.Fatalf("old leader's write after takeover: err = %v, want ErrLostLease", err)
	}
	if v, _ := s.Secret(ctx, "k"); string(v) != "a" {
		t.Errorf("secret = %q after a fenced-off write", v)
	}
	// The old leader asking again finds it held by gw-b.
	if r, _ := s.AcquireLease(ctx, "leader", "gw-a", 300*time.Millisecond); r.Held || r.Holder != "gw-b" {
		t.Errorf("old leader re-acquire: %+v", r)
	}
	// A leader that stops gives the lease back at once.
	if err := s.ReleaseLease(ctx, b.Lease); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.AcquireLease(ctx, "leader", "gw-a", time.Second); !r.Held || r.Epoch != 3 {
		t.Errorf("after release: %+v", r)
	}
}

func TestClaimsAreExclusive(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n, mail := newTicket(t, s, "c1", "soc@hospital-a.example")
	update(t, s, func(tx *Tx) error {
		for i := range 40 {
			if _, err := tx.Enqueue(ctx, &OutboxMail{Ticket: n, Kind: KindAck, Recipients: []string{"soc@hospital-a.example"},
				MessageID: "<claim" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@league.example>", Template: "ack", CreatedAt: t0, Cause: mail}); err != nil {
				return err
			}
		}
		return nil
	})
	// Four senders claim at once: every mail goes to exactly one.
	var mu sync.Mutex
	owner := map[int64]string{}
	var wg sync.WaitGroup
	for _, who := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ms, err := s.ClaimDue(ctx, who, t0, 3, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					if prev, ok := owner[m.ID]; ok {
						t.Errorf("mail %d claimed by %s and %s", m.ID, prev, who)
					}
					owner[m.ID] = who
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(owner) != 40 {
		t.Fatalf("%d mails claimed, want 40", len(owner))
	}
	var id int64
	for k := range owner {
		id = k
		break
	}
	if ok, _ := s.RenewClaim(ctx, id, "someone-else", time.Minute); ok {
		t.Error("a sender renewed another's claim")
	}
	if ok, _ := s.RenewClaim(ctx, id, owner[id], time.Minute); !ok {
		t.Error("the claimer could not renew its claim")
	}
	// A sender that died: its claims run out and another takes them.
	ms, _ := s.ClaimDue(ctx, "e", t0, 100, time.Minute)
	if len(ms) != 0 {
		t.Fatalf("claimed mails were claimed again: %d", len(ms))
	}
	update(t, s, func(tx *Tx) error {
		_, err := exec(ctx, tx.tx, "expire", `UPDATE outbox SET claim_until = 1 WHERE claimed_by = ?`, owner[id])
		return err
	})
	ms, _ = s.ClaimDue(ctx, "e", t0, 100, time.Minute)
	if len(ms) == 0 {
		t.Fatal("claims that ran out were not given back")
	}
	if ok, _ := s.RenewClaim(ctx, id, owner[id], time.Minute); ok {
		t.Error("the dead sender's claim still renews after another took the mail")
	}
	// Given back, a mail is free at once.
	if err := s.ReleaseClaims(ctx, "e", []int64{ms[0].ID}); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.ClaimDue(ctx, "f", t0, 100, time.Minute); len(again) != 1 || again[0].ID != ms[0].ID {
		t.Errorf("after release: %d mails", len(again))
	}
}
