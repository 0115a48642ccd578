package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestCopySQLiteToPostgres(t *testing.T) {
	if backend == nil {
		t.Skip("runs in the PostgreSQL pass")
	}
	ctx := context.Background()
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n1, m1 := newTicket(t, src, "m1", "soc@hospital-a.example")
	n2, _ := newTicket(t, src, "m2", "soc@hospital-b.example")
	update(t, src, func(tx *Tx) error {
		if err := tx.AddSightings(ctx, n1, m1, []Sighting{{Type: "domain", Value: "evil-login.example", Layer: "report", Sources: []string{"text"}}}, t0); err != nil {
			return err
		}
		if _, err := tx.Enqueue(ctx, &OutboxMail{Ticket: n1, Kind: KindAck, Recipients: []string{"soc@hospital-a.example"},
			MessageID: "<copy1@league.example>", Template: "ack", CreatedAt: t0, Cause: m1}); err != nil {
			return err
		}
		if _, err := tx.AddEvent(ctx, Event{Ticket: n1, At: t0, Kind: "note", Detail: "a NUL \x00 and \xff"}); err != nil {
			return err
		}
		_, err := exec(ctx, tx.tx, "follow", `UPDATE tickets SET follows = ? WHERE number = ?`, n1, n2)
		return err
	})
	if _, err := src.Secret(ctx, "reply-token"); err != nil {
		t.Fatal(err)
	}
	dst := openTest(t)
	checks, err := Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, c := range checks {
		rows[c.Table] = c.Rows
	}
	if rows["tickets"] != 2 || rows["mails"] != 2 || rows["raw"] != 2 || rows["outbox"] != 1 || rows["sightings"] != 1 || rows["events"] != 3 || rows["settings"] != 1 {
		t.Errorf("rows copied: %v", rows)
	}
	d, err := dst.TicketDetail(ctx, n2)
	if err != nil || d.Ticket.Follows != n1 {
		t.Errorf("ticket #%d on the copy: follows %d, %v", n2, d.Ticket.Follows, err)
	}
	// The copy numbers on from the source's last ticket.
	if n3, _ := newTicket(t, dst, "m3", "soc@hospital-c.example"); n3 != n2+1 {
		t.Errorf("next ticket on the copy is #%d, want #%d", n3, n2+1)
	}
	// A second copy into a store that has rows is refused.
	if _, err := Copy(ctx, src, dst); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("copy into a full store: %v", err)
	}
	// The check sees a table that differs (the copy has ticket #3 now).
	tabs, _ := src.tablesInOrder(ctx)
	for _, tb := range tabs {
		if tb.name != "tickets" {
			continue
		}
		a, _ := hashTable(ctx, src.r, tb)
		b, _ := hashTable(ctx, dst.r, tb)
		if a == b {
			t.Errorf("tickets hash the same with a third ticket on one side: %v", a)
		}
	}
}
