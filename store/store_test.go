package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func openTest(t *testing.T) *Store {
	t.Helper()
	where := filepath.Join(t.TempDir(), "test.db")
	if backend != nil {
		where = backend.Schema(t)
	}
	s, err := Open(context.Background(), where)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func update(t *testing.T, s *Store, fn func(tx *Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// newTicket stores a mail and opens a ticket for it.
func newTicket(t *testing.T, s *Store, sha, from string) (ticket, mail int64) {
	t.Helper()
	ctx := context.Background()
	update(t, s, func(tx *Tx) error {
		m := &Mail{SHA256: sha, From: from, ReceivedAt: t0}
		var err error
		if mail, err = tx.InsertMail(ctx, m, []byte("mail "+sha)); err != nil {
			return err
		}
		ticket, err = tx.OpenTicket(ctx, &Ticket{Reporter: from, OpenedBy: mail, CreatedAt: t0}, Event{Actor: from, Mail: mail})
		return err
	})
	return ticket, mail
}

func TestSeenAndOrigins(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	imap := Origin{Mailbox: "INBOX", UIDValidity: 9, UID: 4}
	file := Origin{Mailbox: "file:/tmp/a.eml"}
	update(t, s, func(tx *Tx) error {
		id, err := tx.InsertMail(ctx, &Mail{SHA256: "s1", ReceivedAt: t0}, []byte("x"))
		if err != nil {
			return err
		}
		if err := tx.AddOrigin(ctx, id, imap, t0); err != nil {
			return err
		}
		if err := tx.AddOrigin(ctx, id, file, t0); err != nil {
			return err
		}
		return tx.AddOrigin(ctx, id, imap, t0) // again: no error, no row
	})
	for _, c := range []struct {
		o          Origin
		sha        string
		byO, bySHA int64
	}{
		{imap, "other", 1, 0},
		{Origin{Mailbox: "INBOX", UIDValidity: 10, UID: 4}, "other", 0, 0},
		{file, "other", 0, 0}, // files are known by content only
		{file, "s1", 0, 1},
	} {
		o, sh, err := s.Seen(ctx, c.o, c.sha)
		if err != nil || o != c.byO || sh != c.bySHA {
			t.Errorf("Seen(%v, %s) = %d, %d, %v; want %d, %d", c.o, c.sha, o, sh, err, c.byO, c.bySHA)
		}
	}
	os, err := s.Origins(ctx, 1)
	if err != nil || len(os) != 2 {
		t.Errorf("Origins = %v, %v; want 2", os, err)
	}
	raw, err := s.Raw(ctx, "s1")
	if err != nil || string(raw) != "x" {
		t.Errorf("Raw = %q, %v", raw, err)
	}
}

func TestCheckpoint(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	steps := []struct {
		o            Origin
		wantV, wantU uint32
	}{
		{Origin{"INBOX", 5, 10}, 5, 10},
		{Origin{"INBOX", 5, 7}, 5, 10}, // never goes back
		{Origin{"INBOX", 5, 12}, 5, 12},
		{Origin{"INBOX", 6, 3}, 6, 3},   // UIDVALIDITY changed: start over
		{Origin{"file:x", 0, 99}, 6, 3}, // files have none
	}
	if v, u, err := s.Checkpoint(ctx, "INBOX"); v != 0 || u != 0 || err != nil {
		t.Fatalf("Checkpoint of unknown = %d %d %v", v, u, err)
	}
	for _, st := range steps {
		update(t, s, func(tx *Tx) error { return tx.AdvanceCheckpoint(ctx, st.o, t0) })
		v, u, err := s.Checkpoint(ctx, "INBOX")
		if err != nil || v != st.wantV || u != st.wantU {
			t.Errorf("after %v: Checkpoint = %d %d %v, want %d %d", st.o, v, u, err, st.wantV, st.wantU)
		}
	}
}

func TestEventsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n, _ := newTicket(t, s, "s1", "a@h.example")
	for _, q := range []string{`UPDATE events SET detail = 'x'`, `DELETE FROM events`} {
		err := s.Update(ctx, func(tx *Tx) error { _, err := tx.tx.ExecContext(ctx, q); return err })
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only", q, err)
		}
	}
	update(t, s, func(tx *Tx) error {
		return tx.SetState(ctx, n, StateClosed, Event{At: t0.Add(time.Hour), Actor: "tri@v.example", Detail: "done"})
	})
	ev, err := s.Events(ctx, n)
	if err != nil || len(ev) != 2 || ev[1].Detail != "new -> closed: done" {
		t.Fatalf("events = %+v, %v", ev, err)
	}
	tk, _ := s.Ticket(ctx, n)
	if tk.State != StateClosed || !tk.ClosedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("ticket = %+v", tk)
	}
}

func TestRollbackLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx *Tx) error {
		id, err := tx.InsertMail(ctx, &Mail{SHA256: "s1", ReceivedAt: t0}, []byte("x"))
		if err != nil {
			return err
		}
		if _, err := tx.OpenTicket(ctx, &Ticket{CreatedAt: t0, OpenedBy: id}, Event{}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	c, _ := s.Counts(ctx)
	if c != (Counts{}) {
		t.Errorf("after rollback: %+v", c)
	}
	// The ticket number was not used up on SQLite. PostgreSQL's sequences
	// are not transactional: a rolled-back ticket leaves a gap there.
	n, _ := newTicket(t, s, "s2", "a@h.example")
	if want := int64(1); n != want && !(backend != nil && n == want+1) {
		t.Errorf("first ticket after a rollback is #%d", n)
	}
}

func TestSightingsAndCorrelate(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n1, m1 := newTicket(t, s, "s1", "a@h.example")
	n2, m2 := newTicket(t, s, "s2", "b@h.example")
	n3, m3 := newTicket(t, s, "s3", "c@h.example")
	add := func(n, m int64, at time.Time, ss ...Sighting) {
		update(t, s, func(tx *Tx) error { return tx.AddSightings(ctx, n, m, ss, at) })
	}
	evil := Sighting{Type: "domain", Value: "evil.example", Layer: "evidence", Sources: []string{"html:href"}}
	add(n1, m1, t0, evil, Sighting{Type: "ipv4", Value: "192.0.2.1", Layer: "report"})
	add(n2, m2, t0.Add(time.Hour), evil)
	evil.Sources = []string{"text"}
	add(n3, m3, t0.Add(2*time.Hour), evil)
	add(n3, m3, t0.Add(3*time.Hour), evil) // the same again: one sighting, count 2

	cs, err := s.Correlate(ctx, n3)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Value != "evil.example" || len(cs[0].Tickets) != 2 || !cs[0].FirstSeen.Equal(t0) {
		t.Fatalf("Correlate = %+v", cs)
	}
	d, err := s.TicketDetail(ctx, n3)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Indicators) != 1 || d.Indicators[0].Count != 2 || !d.Indicators[0].LastSeen.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("indicators of #%d = %+v", n3, d.Indicators)
	}
	if cs, _ := s.Correlate(ctx, n1); len(cs) != 1 {
		t.Errorf("Correlate(#1) = %+v", cs)
	}
	c, _ := s.Counts(ctx)
	if c.Indicators != 2 || c.Sightings != 4 {
		t.Errorf("counts = %+v", c)
	}

	// One mail naming a sighting twice, and in a second layer: as two
	// calls would (PostgreSQL refuses one upsert meeting a key twice).
	report := evil
	report.Layer = "report"
	add(n2, m2, t0.Add(4*time.Hour), evil, evil, report)
	d, err = s.TicketDetail(ctx, n2)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Indicators) != 1 || d.Indicators[0].Count != 4 || !slices.Equal(d.Indicators[0].Layers, []string{"evidence", "report"}) {
		t.Errorf("indicators of #%d after a repeated sighting = %+v", n2, d.Indicators)
	}
}

func TestPendingEvidence(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n, m := newTicket(t, s, "s1", "a@h.example")
	pend := func(v, layer, from string) Sighting {
		return Sighting{Type: "domain", Value: v, Layer: layer, Pending: true, From: from}
	}
	update(t, s, func(tx *Tx) error {
		return tx.AddSightings(ctx, n, m, []Sighting{
			pend("both-pending.example", "report", "eve@x.example"),
			pend("both-pending.example", "evidence", "mallory@y.example"),
			pend("half.example", "report", "eve@x.example"),
			{Type: "domain", Value: "half.example", Layer: "evidence"},
			{Type: "domain", Value: "accepted.example", Layer: "report"},
		}, t0)
	})
	var got map[IndicatorKey][]string
	update(t, s, func(tx *Tx) (err error) {
		got, err = tx.PendingEvidence(ctx, n)
		return err
	})
	want := map[IndicatorKey][]string{
		{Type: "domain", Value: "both-pending.example"}: {"eve@x.example", "mallory@y.example"},
	}
	if !maps.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("PendingEvidence = %v, want %v (pending only when pending in every layer)", got, want)
	}
}

func TestInstitutionByDomain(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	if _, err := s.PutContact(ctx, Contact{Kind: "institution", Name: "St Mary", Email: "soc@stmary.example", Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutContact(ctx, Contact{Kind: "institution", Name: "St Mary's lab", Email: "it@lab.stmary.example", Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ domain, want string }{
		{"stmary.example", "St Mary"},
		{"MAIL.StMary.example", "St Mary"},
		{"lab.stmary.example.", "St Mary's lab"}, // the most specific first
		{"x.lab.stmary.example", "St Mary's lab"},
		{"other.example", ""},
		{"example", ""},
	} {
		update(t, s, func(tx *Tx) error {
			got, err := tx.InstitutionByDomain(ctx, c.domain)
			name := ""
			if got != nil {
				name = got.Name
			}
			if err != nil || name != c.want {
				t.Errorf("InstitutionByDomain(%s) = %q, %v; want %q", c.domain, name, err, c.want)
			}
			return nil
		})
	}
}

// TestCountQueuedLimit: the rate limit's count stops at the limit asked
// for, and counts neither suppressed mail nor mail before the window.
func TestCountQueuedLimit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n, _ := newTicket(t, s, "s1", "a@h.example")
	update(t, s, func(tx *Tx) error {
		for i := range 6 {
			m := OutboxMail{Ticket: n, Kind: KindAck, Recipients: []string{"a@h.example"}, MessageID: fmt.Sprintf("<%d@league.example>", i),
				Template: "ack", CreatedAt: t0}
			switch i {
			case 4:
				m.State = OutboxSuppressed
			case 5:
				m.CreatedAt = t0.Add(-2 * time.Hour)
			}
			if _, err := tx.Enqueue(ctx, &m); err != nil {
				return err
			}
		}
		for _, c := range []struct{ limit, want int }{{0, 4}, {2, 2}, {4, 4}, {10, 4}} {
			got, err := tx.CountQueued(ctx, KindAck, "a@h.example", t0.Add(-time.Hour), c.limit)
			if err != nil || got != c.want {
				t.Errorf("CountQueued(limit %d) = %d, %v; want %d", c.limit, got, err, c.want)
			}
		}
		return nil
	})
}

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	n, _ := newTicket(t, s, "s1", "a@h.example")
	var ack, notice OutboxMail
	update(t, s, func(tx *Tx) error {
		ack = OutboxMail{Ticket: n, Kind: KindAck, Recipients: []string{"a@h.example"}, MessageID: "<1@league.example>",
			Subject: "[League #1]", Template: "ack", CreatedAt: t0}
		notice = OutboxMail{Ticket: n, Kind: KindTriagerNotice, Recipients: []string{"t@v.example"}, MessageID: "<2@league.example>",
			Template: "triager-notice", CreatedAt: t0.Add(time.Second)}
		sup := OutboxMail{Ticket: n, Kind: KindAck, Recipients: []string{"a@h.example"}, MessageID: "<3@league.example>",
			Template: "ack", CreatedAt: t0, State: OutboxSuppressed, LastError: "rate limit"}
		for _, m := range []*OutboxMail{&ack, &notice, &sup} {
			if _, err := tx.Enqueue(ctx, m); err != nil {
				return err
			}
		}
		got, err := tx.CountQueued(ctx, KindAck, "A@h.example", t0.Add(-time.Hour), 0)
		if err != nil || got != 1 {
			t.Errorf("CountQueued = %d, %v; want 1", got, err)
		}
		return nil
	})
	due, err := s.NextDue(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].ID != ack.ID {
		t.Fatalf("NextDue(t0) = %+v, %v", due, err)
	}
	due, _ = s.NextDue(ctx, t0.Add(time.Minute), 10)
	if len(due) != 2 {
		t.Fatalf("NextDue(t0+1m) = %d mails", len(due))
	}
	if err := s.MarkRetry(ctx, ack.ID, errors.New("421 try later"), t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, notice.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	due, _ = s.NextDue(ctx, t0.Add(time.Minute), 10)
	if len(due) != 0 {
		t.Fatalf("after retry and sent: NextDue = %+v", due)
	}
	due, _ = s.NextDue(ctx, t0.Add(5*time.Minute), 10)
	if len(due) != 1 || due[0].Attempts != 1 || due[0].LastError != "421 try later" {
		t.Fatalf("after backoff: NextDue = %+v", due)
	}
	if err := s.MarkFailed(ctx, ack.ID, "550 no such user", t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSent(ctx, 999, t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkSent(999) = %v, want ErrNotFound", err)
	}
	all, _ := s.Outbox(ctx, OutboxFilter{Ticket: n})
	states := ""
	for _, m := range all {
		states += string(m.State) + " "
	}
	if states != "failed sent suppressed " {
		t.Errorf("states = %q", states)
	}
	ev, err := s.Events(ctx, n)
	if err != nil || len(ev) == 0 {
		t.Fatalf("events of #%d: %v, %v", n, ev, err)
	}
	last := ev[len(ev)-1]
	if last.Kind != "delivery-failed" || !strings.Contains(last.Detail, "550 no such user") {
		t.Errorf("last event = %+v", last)
	}
	if d, _ := s.TicketDetail(ctx, n); len(d.Conversation) != 2 {
		t.Errorf("conversation has %d entries, want 2 (suppressed mail left out)", len(d.Conversation))
	}
}

func TestSecret(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	a, err := s.Secret(ctx, "reply-token")
	if err != nil || len(a) != 32 {
		t.Fatalf("Secret = %x, %v", a, err)
	}
	b, _ := s.Secret(ctx, "reply-token")
	if string(a) != string(b) {
		t.Error("Secret changed between calls")
	}
}

func TestInsertRows(t *testing.T) {
	for _, c := range []struct{ n, want int }{{1, 1}, {2, 2}, {3, 2}, {7, 4}, {8, 8}, {127, 64}, {128, 128}, {1000, 128}} {
		if got := insertRows(c.n); got != c.want {
			t.Errorf("insertRows(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
