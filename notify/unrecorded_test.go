package notify

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// TestSentButNotRecorded: a mail the server accepted while the store
// could not record it (locked by another process, disk full) is not sent
// again at the next poll, though the outbox still has it due; nothing
// else is sent meanwhile; once the store takes writes again the mail is
// recorded as sent when it was, and the rest goes out.
func TestSentButNotRecorded(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	e.report("soc@hospital-a.example", "Phishing", phish) // an ack and a triager notice
	s := e.sender(f.url(), func(c *Config) { c.BatchSize = 1 })

	// The store refuses to mark anything sent, and nothing else.
	db, err := sql.Open("sqlite3", "file:"+e.st.Path()+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	failSent := `CREATE TRIGGER fail_sent BEFORE UPDATE ON outbox WHEN NEW.state = 'sent'
		BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`
	if _, err := db.Exec(failSent); err != nil {
		t.Fatal(err)
	}

	sent, err := s.SendDue(e.ctx)
	if sent != 1 || err == nil || !strings.Contains(err.Error(), "disk is full") {
		t.Fatalf("SendDue with the store failing = %d, %v; want 1 sent and the store's error", sent, err)
	}
	first := f.received()[0]
	for range 3 {
		if sent, err := s.SendDue(e.ctx); sent != 0 || err == nil {
			t.Errorf("SendDue while the store still fails = %d, %v; want nothing sent and the error", sent, err)
		}
	}
	if n := len(f.received()); n != 1 {
		t.Fatalf("the server got %d mails while the store could not record, want the first alone", n)
	}
	if q := e.outbox(store.OutboxQueued); len(q) != 2 {
		t.Fatalf("%d mails queued in the store, want both still", len(q))
	}

	if _, err := db.Exec(`DROP TRIGGER fail_sent`); err != nil {
		t.Fatal(err)
	}
	e.now = t0.Add(time.Minute)
	if sent, err := s.SendDue(e.ctx); sent != 1 || err != nil {
		t.Fatalf("SendDue after the store recovers = %d, %v; want the second mail", sent, err)
	}
	got := f.received()
	if len(got) != 2 || string(got[1].data) == string(first.data) {
		t.Fatalf("the server got %d mails, want the first once and then the second", len(got))
	}
	// Each is recorded as sent when the server took it.
	ms := e.outbox(store.OutboxSent)
	if len(ms) != 2 {
		t.Fatalf("%d mails recorded as sent, want 2", len(ms))
	}
	for i, at := range []time.Time{t0, e.now} {
		if m := ms[i]; m.Attempts != 1 || !m.SentAt.Equal(at) {
			t.Errorf("mail %d: attempts %d, sent at %v; want 1 attempt, sent at %v", m.ID, m.Attempts, m.SentAt, at)
		}
	}
}
