package store

import (
	"context"
	"testing"
	"time"
)

func TestWaitsAndReminders(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	n, _ := newTicket(t, s, "aa", "soc@hospital.example")
	update(t, s, func(tx *Tx) error {
		if _, ok, err := tx.EndWait(ctx, n, t0); ok || err != nil {
			t.Errorf("EndWait of a ticket not waiting: ok %v, %v", ok, err)
		}
		if err := tx.StartWait(ctx, n, t0, t0.Add(time.Hour), "CERT", "Alex@V.example"); err != nil {
			return err
		}
		// A second #wait keeps the start: the clock stood still all along.
		if err := tx.StartWait(ctx, n, t0.Add(10*time.Minute), time.Time{}, "reporter", "sam@v.example"); err != nil {
			return err
		}
		st, err := tx.SLATicket(ctx, n)
		if err != nil {
			return err
		}
		if w := st.Wait; !w.Since.Equal(t0) || !w.Until.IsZero() || w.Reason != "reporter" || w.By != "sam@v.example" {
			t.Errorf("wait = %+v", w)
		}
		w, ok, err := tx.EndWait(ctx, n, t0.Add(30*time.Minute))
		if !ok || err != nil || w.Paused != 30*time.Minute {
			t.Errorf("EndWait: %+v %v %v", w, ok, err)
		}
		if err := tx.StartWait(ctx, n, t0.Add(time.Hour), time.Time{}, "", ""); err != nil {
			return err
		}
		if w, _, _ := tx.EndWait(ctx, n, t0.Add(time.Hour+5*time.Minute)); w.Paused != 35*time.Minute {
			t.Errorf("second wait: paused %v, want 35m in all", w.Paused)
		}
		for i, want := range []bool{true, false} {
			if ok, err := tx.RecordReminder(ctx, n, "response", t0, 0); ok != want || err != nil {
				t.Errorf("RecordReminder #%d: %v %v, want %v", i+1, ok, err, want)
			}
		}
		if ok, _ := tx.Reminded(ctx, n, "response"); !ok {
			t.Errorf("not reminded")
		}
		if ok, _ := tx.Reminded(ctx, n, "resolve"); ok {
			t.Errorf("reminded of resolve")
		}
		if last, _ := tx.LastDigest(ctx, "a@v.example"); !last.IsZero() {
			t.Errorf("last digest %v", last)
		}
		tx.RecordDigest(ctx, "A@v.example", t0, 0)
		tx.RecordDigest(ctx, "a@v.example", t0.Add(24*time.Hour), 0)
		if last, _ := tx.LastDigest(ctx, "a@v.example"); !last.Equal(t0.Add(24 * time.Hour)) {
			t.Errorf("last digest %v", last)
		}
		return nil
	})
}
