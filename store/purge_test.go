package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestPurge(t *testing.T) {
	ctx := context.Background()
	st := openTest(t)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recent := old.AddDate(0, 7, 0)
	var oldMail, newMail int64
	err := st.Update(ctx, func(tx *Tx) error {
		var err error
		oldMail, err = tx.InsertMail(ctx, &Mail{SHA256: "aa", MessageID: "old@x", ReceivedAt: old, Kind: "report", Parse: []byte(`{"text":"secret words"}`)}, []byte("old mail"))
		if err != nil {
			return err
		}
		newMail, err = tx.InsertMail(ctx, &Mail{SHA256: "bb", MessageID: "new@x", ReceivedAt: recent, Kind: "report", Parse: []byte(`{"text":"recent"}`)}, []byte("new mail"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Purge(ctx, old.AddDate(0, 6, 0))
	if err != nil {
		t.Fatal(err)
	}
	if p.Raw != 1 || p.Parses != 1 {
		t.Errorf("purged %+v, want one raw mail and one parse", p)
	}
	if b, err := st.Raw(ctx, "aa"); err != nil || b != nil {
		t.Errorf("old raw mail still readable: %q %v", b, err)
	}
	if b, err := st.Raw(ctx, "bb"); err != nil || string(b) != "new mail" {
		t.Errorf("recent raw mail: %q %v", b, err)
	}
	m, err := st.Mail(ctx, oldMail)
	if err != nil || string(m.Parse) != "{}" || m.MessageID != "old@x" {
		t.Errorf("old mail row: %+v %v (the row stays, its parse goes)", m, err)
	}
	if m, _ := st.Mail(ctx, newMail); string(m.Parse) == "{}" {
		t.Error("the recent mail's parse was purged")
	}
	// Purging again finds nothing more.
	if p, err := st.Purge(ctx, old.AddDate(0, 6, 0)); err != nil || p != (Purged{}) {
		t.Errorf("second purge: %+v %v", p, err)
	}
	if _, err := st.Mail(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing mail: %v", err)
	}
}
