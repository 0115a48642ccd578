package store

import (
	"context"
	"errors"
	"testing"
)

// TestTransactionEnds checks that a write transaction that does not
// return normally writes nothing and leaves the writer usable: the next
// report must not meet a transaction left open on the writer's connection.
func TestTransactionEnds(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(ctx context.Context, cancel func(), tx *Tx) error
		want error
	}{
		{"panic", func(ctx context.Context, _ func(), tx *Tx) error {
			if _, err := tx.InsertMail(ctx, &Mail{SHA256: "p", ReceivedAt: t0}, []byte("x")); err != nil {
				return err
			}
			panic("boom")
		}, nil},
		{"cancelled between statements", func(ctx context.Context, cancel func(), tx *Tx) error {
			if _, err := tx.InsertMail(ctx, &Mail{SHA256: "c1", ReceivedAt: t0}, []byte("x")); err != nil {
				return err
			}
			cancel()
			_, err := tx.InsertMail(ctx, &Mail{SHA256: "c2", ReceivedAt: t0}, []byte("y"))
			return err
		}, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = errors.New("panicked")
					}
				}()
				return s.Update(ctx, func(tx *Tx) error { return tc.fn(ctx, cancel, tx) })
			}()
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Update = %v, want an error (%v)", err, tc.want)
			}
			bg := context.Background()
			if c, _ := s.Counts(bg); c != (Counts{}) {
				t.Errorf("after the failed transaction: %+v", c)
			}
			newTicket(t, s, "next", "a@h.example")
			if c, _ := s.Counts(bg); c.Mails != 1 || c.Tickets != 1 {
				t.Errorf("the next transaction left %+v, want its mail and ticket", c)
			}
		})
	}
}
