package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

const report = "report@league.example"

// checkFolders checks that INBOX is empty, that folder holds exactly the
// Message-IDs want, each once, and that none of them was marked \Seen.
func checkFolders(t *testing.T, s *dovecottest.Server, user, folder string, want []string) {
	t.Helper()
	if n := s.Count(t, user, "INBOX"); n != 0 {
		t.Errorf("INBOX still holds %d messages", n)
	}
	got := map[string]int{}
	for _, m := range s.Messages(t, user, folder) {
		id, _ := contentKey(m.Raw)
		got[id]++
		if slices.Contains(m.Flags, imap.FlagSeen) {
			t.Errorf("%s in %s is \\Seen: fetched without PEEK?", id, folder)
		}
	}
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("%s: %d copies in %s, want 1", id, got[id], folder)
		}
		delete(got, id)
	}
	for id, n := range got {
		t.Errorf("%s: %d unexpected copies in %s", id, n, folder)
	}
}

// checkOnce checks that the sink committed each Message-ID of want exactly
// once and nothing else.
func checkOnce(t *testing.T, recs []record, want []string) {
	t.Helper()
	got := map[string]int{}
	for _, r := range recs {
		got[r.MessageID]++
	}
	for _, id := range want {
		if got[id] != 1 {
			t.Errorf("%s committed %d times, want once", id, got[id])
		}
		delete(got, id)
	}
	for id, n := range got {
		t.Errorf("%s committed %d times, want never", id, n)
	}
}

func msgID(prefix string, i int) string { return fmt.Sprintf("<%s-%d@test.example>", prefix, i) }

func rawMail(prefix string, i int) []byte {
	id := msgID(prefix, i)
	return dovecottest.Mail(strings.Trim(id, "<>"), fmt.Sprintf("report %s %d", prefix, i),
		fmt.Sprintf("Suspicious link: hxxp://bad%d[.]example/login", i))
}

// TestDovecotCatchUpAndIdle measures the two figures of the issue: catch-up
// of 1,000 waiting messages, and APPEND to Take through IDLE.
func TestDovecotCatchUpAndIdle(t *testing.T) {
	s := dovecottest.Start(t)
	const n = 1000
	var want []string
	for i := range n {
		s.Deliver(report, rawMail("catchup", i))
		want = append(want, msgID("catchup", i))
	}
	sink := newMemSink()
	sink.taken = make(chan record, 10)
	cfg := fastConfig(s.URL(report), slog.New(newLogRecorder(t)))
	cfg.BatchSize = 100
	in := mustNew(t, cfg, sink)

	start := time.Now()
	stop := running(t, in)
	waitFor(t, 60*time.Second, "1,000 messages taken in", func() bool { return sink.count() == n })
	elapsed := time.Since(start)
	t.Logf("catch-up: %d messages in %v: %.0f messages/s (connect, Dovecot's first scan of the Maildir, fetch, take, move)",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	waitFor(t, 20*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	waitFor(t, 5*time.Second, "caught up", func() bool { return in.Status().Connected && !in.Status().LastSuccess.IsZero() })

	// Through IDLE: one message at a time, from the start of APPEND to
	// the end of Take.
	drain(sink.taken)
	c := s.Client(t, report)
	var lat []time.Duration
	for i := range 100 {
		raw := rawMail("idle", i)
		want = append(want, msgID("idle", i))
		t0 := time.Now()
		if _, err := dovecottest.Append(c, "INBOX", raw); err != nil {
			t.Fatalf("append: %v", err)
		}
		select {
		case r := <-sink.taken:
			if r.MessageID != msgID("idle", i) {
				t.Fatalf("took %s, want %s", r.MessageID, msgID("idle", i))
			}
			lat = append(lat, r.At.Sub(t0))
		case <-time.After(10 * time.Second):
			t.Fatalf("message %d not taken in 10s through IDLE", i)
		}
	}
	slices.Sort(lat)
	t.Logf("APPEND to taken in, through IDLE, 100 messages: median %v, worst %v",
		lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))

	waitFor(t, 10*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	stop()
	recs, dups := sink.snapshot()
	checkOnce(t, recs, want)
	if dups != 0 {
		t.Errorf("%d Takes of mail already in; want none without a crash", dups)
	}
	checkFolders(t, s, report, "Processed", want)
}

func drain(ch chan record) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestDovecotTLS(t *testing.T) {
	s := dovecottest.Start(t)
	sink := newMemSink()
	log := slog.New(newLogRecorder(t))
	user := "test1%40league.example:" + dovecottest.Password
	for i, url := range []string{
		"imaps://" + user + "@" + s.TLSAddr + "/INBOX",
		"imap://" + user + "@" + s.Addr + "/INBOX",            // STARTTLS
		"imap://" + user + "@" + s.Addr + "/INBOX?auth=login", // STARTTLS, LOGIN
		"imap://" + user + "@" + s.Addr + "/INBOX?tls=none&auth=plain",
	} {
		s.Append(t, "test1@league.example", "INBOX", rawMail("tls", i))
		cfg := fastConfig(url, log)
		if !strings.Contains(url, "tls=none") {
			cfg.CAFile = s.CAFile
		}
		stop := running(t, mustNew(t, cfg, sink))
		waitFor(t, 10*time.Second, "message taken over "+url, func() bool { return sink.count() == i+1 })
		stop()
	}

	// Without the private CA, the certificate is refused, and said so.
	s.Append(t, "test1@league.example", "INBOX", rawMail("tls", 99))
	in := mustNew(t, fastConfig("imaps://"+user+"@"+s.TLSAddr+"/INBOX", log), sink)
	stop := running(t, in)
	waitFor(t, 10*time.Second, "a TLS error", func() bool { return in.Status().LastError != "" })
	stop()
	st := in.Status()
	if !strings.Contains(st.LastError, "certificate") || st.Connected {
		t.Errorf("Status = %+v, want a certificate error", st)
	}
	if strings.Contains(st.LastError, dovecottest.Password) {
		t.Errorf("error shows the password: %s", st.LastError)
	}
	if sink.count() != 4 {
		t.Errorf("%d messages taken, want 4", sink.count())
	}
}

// TestDovecotFallbacks covers COPY instead of MOVE, polling instead of IDLE,
// rejected mail, temporary store errors, and two mailboxes into one sink.
func TestDovecotFallbacks(t *testing.T) {
	s := dovecottest.Start(t)
	log := newLogRecorder(t)
	sink := newMemSink()
	failures := 3
	sink.reject = func(raw []byte) string {
		if strings.Contains(string(raw), "Subject: report reject") {
			return "not a mail we can store"
		}
		return ""
	}
	sink.fail = func(raw []byte) error {
		if strings.Contains(string(raw), "Subject: report flaky") && failures > 0 {
			failures--
			return errors.New("database is locked")
		}
		return nil
	}
	var want []string
	for i := range 3 {
		s.Append(t, "test2@league.example", "INBOX", rawMail("copy", i))
		want = append(want, msgID("copy", i))
	}
	s.Append(t, "test2@league.example", "INBOX", rawMail("reject", 0))
	s.Append(t, "test2@league.example", "INBOX", rawMail("flaky", 0))
	want = append(want, msgID("flaky", 0))
	s.Append(t, "test2@league.example", "INBOX", rawMail("copy", 3))
	want = append(want, msgID("copy", 3))

	cfg := fastConfig(s.URL("test2@league.example"), slog.New(log))
	cfg.Processed = "Done" // another name, created on the way
	a := mustNew(t, cfg, sink)
	a.noMove, a.noIdle = true, true
	b := mustNew(t, fastConfig(s.URL("abuse@league.example"), slog.New(log)), sink)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunAll(ctx, a, b) }()
	stopAll := sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunAll: %v", err)
		}
	})
	defer stopAll()
	waitFor(t, 20*time.Second, "the polled mailbox taken in", func() bool { return sink.count() == len(want) })

	// New mail, polled and idled.
	s.Append(t, "test2@league.example", "INBOX", rawMail("poll", 0))
	s.Append(t, "abuse@league.example", "INBOX", rawMail("abuse", 0))
	want = append(want, msgID("poll", 0), msgID("abuse", 0))
	waitFor(t, 10*time.Second, "new mail in both mailboxes", func() bool { return sink.count() == len(want) })
	waitFor(t, 10*time.Second, "INBOXes emptied", func() bool {
		return s.FolderFiles("test2@league.example", "INBOX")+s.FolderFiles("abuse@league.example", "INBOX") == 0
	})
	stopAll()

	recs, _ := sink.snapshot()
	checkOnce(t, recs, want)
	// Order within a mailbox is UID order, the flaky one included.
	var order []string
	for _, r := range recs {
		if strings.Contains(r.Origin.Mailbox, "test2") {
			order = append(order, r.MessageID)
		}
	}
	wantOrder := []string{msgID("copy", 0), msgID("copy", 1), msgID("copy", 2), msgID("flaky", 0), msgID("copy", 3), msgID("poll", 0)}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("taken in order %v, want %v", order, wantOrder)
	}
	checkFolders(t, s, "test2@league.example", "Done",
		[]string{msgID("copy", 0), msgID("copy", 1), msgID("copy", 2), msgID("flaky", 0), msgID("copy", 3), msgID("poll", 0)})
	failed := s.Messages(t, "test2@league.example", "Failed")
	if len(failed) != 1 || !strings.Contains(string(failed[0].Raw), msgID("reject", 0)) {
		t.Errorf("Failed holds %d messages, want the rejected one", len(failed))
	}
	if n := log.count("refused a message"); n != 1 {
		t.Errorf("rejection logged %d times, want once", n)
	}
	if n := log.count("interrupted"); n != 1 {
		t.Errorf("store outage logged %d times, want once", n)
	}
}

// TestDovecotRestart stops Dovecot under the running gateway, delivers mail
// while it is down, and starts it again: the gateway recovers by itself.
func TestDovecotRestart(t *testing.T) {
	s := dovecottest.Start(t)
	log := newLogRecorder(t)
	sink := newMemSink()
	in := mustNew(t, fastConfig(s.URL(report), slog.New(log)), sink)
	stop := running(t, in)
	var want []string
	for i := range 5 {
		s.Append(t, report, "INBOX", rawMail("before", i))
		want = append(want, msgID("before", i))
	}
	waitFor(t, 10*time.Second, "mail taken in", func() bool { return sink.count() == 5 })
	waitFor(t, 10*time.Second, "idling", func() bool { return in.Status().Connected })

	s.Stop()
	waitFor(t, 10*time.Second, "the outage noticed", func() bool { return !in.Status().Connected })
	for i := range 5 {
		s.Deliver(report, rawMail("during", i))
		want = append(want, msgID("during", i))
	}
	time.Sleep(1500 * time.Millisecond) // several reconnect tries
	st := in.Status()
	if st.LastError == "" || st.ErrorSince.IsZero() {
		t.Errorf("Status while down = %+v, want an error", st)
	}
	s.Start()
	waitFor(t, 15*time.Second, "mail delivered during the outage taken in", func() bool { return sink.count() == 10 })
	waitFor(t, 5*time.Second, "recovered", func() bool { return in.Status().LastError == "" })

	// And new mail still arrives through IDLE.
	s.Append(t, report, "INBOX", rawMail("after", 0))
	want = append(want, msgID("after", 0))
	waitFor(t, 10*time.Second, "mail after the restart", func() bool { return sink.count() == 11 })
	waitFor(t, 10*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	stop()

	recs, _ := sink.snapshot()
	checkOnce(t, recs, want)
	checkFolders(t, s, report, "Processed", want)
	if n := log.count("interrupted"); n != 1 {
		t.Errorf("outage logged %d times as a warning, want once", n)
	}
	if n := log.count("recovered"); n != 1 {
		t.Errorf("recovery logged %d times, want once", n)
	}
}

// TestDovecotUIDValidity restores old mail into a mailbox rebuilt with new
// UIDs and a new UIDVALIDITY: what was in is not taken again, and new mail
// with UIDs below the old checkpoint is not lost.
func TestDovecotUIDValidity(t *testing.T) {
	s := dovecottest.Start(t)
	sink := newMemSink()
	log := newLogRecorder(t)
	cfg := fastConfig(s.URL(report), slog.New(log))
	var want []string
	for i := range 30 {
		s.Deliver(report, rawMail("old", i))
		want = append(want, msgID("old", i))
	}
	stop := running(t, mustNew(t, cfg, sink))
	waitFor(t, 10*time.Second, "old mail taken in", func() bool { return sink.count() == 30 })
	waitFor(t, 10*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	stop()
	uv, last, _ := sink.Checkpoint(context.Background(), mustNew(t, cfg, sink).Name())
	if last != 30 {
		t.Fatalf("checkpoint %d/%d, want last UID 30", uv, last)
	}

	// A restore from backup: the mailbox is rebuilt, its UIDs start again
	// at 1, and ten old messages come back besides five new ones.
	s.Stop()
	s.RemoveIndexes(report)
	for i := range 10 {
		s.Deliver(report, rawMail("old", i))
	}
	for i := range 5 {
		s.Deliver(report, rawMail("new", i))
		want = append(want, msgID("new", i))
	}
	s.Start()
	s.SetUIDValidity(report, "INBOX", uv+1000)

	stop = running(t, mustNew(t, cfg, sink))
	waitFor(t, 10*time.Second, "new mail taken in", func() bool { return sink.count() == 35 })
	waitFor(t, 10*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	stop()
	recs, dups := sink.snapshot()
	checkOnce(t, recs, want)
	if dups != 10 {
		t.Errorf("%d restored messages skipped by the sink, want 10", dups)
	}
	if n := log.count("UIDVALIDITY changed"); n != 1 {
		t.Errorf("UIDVALIDITY change logged %d times, want once", n)
	}
}
