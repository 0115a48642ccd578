package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// tickets list shows each open ticket's due time, the overdue ones first;
// --overdue keeps those alone.
func TestTicketsListDue(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "test.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	at := now
	g, err := triage.New(st, triage.Config{Address: "report@league.example", Secret: []byte("0123456789abcdef-test"),
		Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	report := func(ago time.Duration, uid uint32) {
		at = now.Add(-ago)
		raw := fmt.Sprintf("From: soc%d@hospital.example\r\nTo: report@league.example\r\nSubject: report %d\r\nMessage-ID: <r%d@hospital.example>\r\n\r\nhttp://bad.phish.com/x\r\n", uid, uid, uid)
		if err := g.Take(ctx, []byte(raw), store.Origin{Mailbox: "INBOX", UIDValidity: 1, UID: uid}); err != nil {
			t.Fatal(err)
		}
	}
	report(5*time.Hour, 1) // medium: first response due in 4h, overdue
	report(time.Hour, 2)   // due in 3h
	report(6*time.Hour, 3) // overdue, the longest
	st.Close()

	list := func(args ...string) []ticketLine {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, append([]string{"tickets", "list", "--json", "--db", db}, args...), &out, &errb); code != 0 {
			t.Fatalf("tickets list: %d %s", code, errb.String())
		}
		var ls []ticketLine
		if err := json.Unmarshal(out.Bytes(), &ls); err != nil {
			t.Fatal(err)
		}
		return ls
	}
	ls := list()
	var order []int64
	for _, l := range ls {
		order = append(order, l.Number)
	}
	if fmt.Sprint(order) != "[3 1 2]" {
		t.Fatalf("order %v, want the overdue first, the longest overdue first: [3 1 2]", order)
	}
	if !ls[0].Overdue || ls[2].Overdue || ls[2].Due == nil || ls[2].Due.Sub(now).Round(time.Minute) != 3*time.Hour {
		t.Errorf("lines %+v", ls)
	}
	if ls := list("--overdue"); len(ls) != 2 {
		t.Errorf("--overdue: %d tickets, want 2", len(ls))
	}
	var out bytes.Buffer
	run(ctx, []string{"tickets", "list", "--db", db}, &out, &out)
	if !strings.Contains(out.String(), "OVERDUE") || !strings.Contains(out.String(), "DUE") {
		t.Errorf("text list:\n%s", out.String())
	}
}
