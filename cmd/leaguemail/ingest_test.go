package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestBatches takes a folder in many batches, each begun while the
// one before commits: every report once, in order, and a second run takes
// none again.
func TestIngestBatches(t *testing.T) {
	dir := t.TempDir()
	const reports = 150
	for i := 1; i <= reports; i++ {
		raw := fmt.Sprintf("From: soc%d@hospital-%d.example\r\nTo: report@league.example\r\nSubject: phishing %d\r\n"+
			"Message-ID: <r%d@hospital.example>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n"+
			"Staff got a link to https://login-%d.phish-kit.example/owa today.\r\n", i, i, i, i, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.eml", i)), []byte(raw), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db := filepath.Join(t.TempDir(), "store.db")
	ingest := func() string {
		var out, errb bytes.Buffer
		// Groups of 4 make batches of 32 mails: five edges between batches.
		if code := run(context.Background(), []string{"ingest", "--db", db, "--group", "4", dir}, &out, &errb); code != 0 {
			t.Fatalf("ingest: %d: %s", code, errb.String())
		}
		return out.String()
	}
	if out := ingest(); !strings.Contains(out, fmt.Sprintf("%d new, 0 already taken, 0 refused", reports)) ||
		!strings.Contains(out, fmt.Sprintf("%d tickets opened", reports)) {
		t.Fatalf("first run:\n%s", out)
	}
	if out := ingest(); !strings.Contains(out, fmt.Sprintf("0 new, %d already taken", reports)) {
		t.Fatalf("second run:\n%s", out)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"tickets", "list", "--json", "--db", db}, &out, &errb); code != 0 {
		t.Fatalf("tickets: %s", errb.String())
	}
	var tickets []struct {
		Number  int64  `json:"number"`
		Subject string `json:"subject"`
	}
	if err := json.Unmarshal(out.Bytes(), &tickets); err != nil {
		t.Fatalf("tickets list --json: %v\n%s", err, out.String())
	}
	if len(tickets) != reports {
		t.Fatalf("%d tickets, want %d", len(tickets), reports)
	}
	// Ticket numbers follow the files' order across the batches' edges.
	for _, tk := range tickets {
		if want := fmt.Sprintf("phishing %d", tk.Number); !strings.Contains(tk.Subject, want) {
			t.Errorf("ticket #%d is %q, want %q", tk.Number, tk.Subject, want)
		}
	}
}
