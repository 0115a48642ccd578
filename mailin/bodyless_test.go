package mailin

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/prometheus/client_golang/prometheus"
)

// TestBodylessFetch: a server that answers a UID's FETCH without its body
// (or not at all while the mail is still there) must not make the gateway
// file that mail as processed: it stays in INBOX, counted and logged, while
// the mail after it is taken in; once the server answers, it is taken.
func TestBodylessFetch(t *testing.T) {
	var broken atomic.Bool
	broken.Store(true)
	addr := memServerWith(t, func(u imap.UID) fetchMode {
		switch {
		case !broken.Load():
			return answerWhole
		case u == 2:
			return answerBodyless
		case u == 4:
			return answerNothing
		}
		return answerWhole
	})
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := dovecottest.Append(c, "INBOX", rawMail("bodyless", i)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(folder string) uint32 {
		st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return 1 << 30
		}
		return *st.NumMessages
	}

	sink := newMemSink()
	logs := newLogRecorder(t)
	reg := prometheus.NewRegistry()
	cfg := fastConfig("imap://u:pw@"+addr+"/INBOX?tls=none", slog.New(logs))
	cfg.Metrics = NewMetrics(reg)
	session := func(what string, taken, inbox int) {
		t.Helper()
		in := mustNew(t, cfg, sink)
		stop := running(t, in)
		waitFor(t, 5*time.Second, what, func() bool {
			return sink.count() == taken && count("INBOX") == uint32(inbox) && count("Processed") == uint32(taken)
		})
		// A new session's sweep must leave the untaken ones alone too.
		time.Sleep(300 * time.Millisecond)
		stop()
		if got := count("INBOX"); got != uint32(inbox) {
			t.Fatalf("%s: %d left in INBOX, want %d", what, got, inbox)
		}
	}
	session("the mail with a body taken, the others left", 3, 2)
	session("a second session leaves them too", 3, 2)

	recs, _ := sink.snapshot()
	for _, r := range recs {
		if r.Origin.UID == 2 || r.Origin.UID == 4 {
			t.Errorf("taken %+v, which the server never gave", r)
		}
	}
	if got := counterSum(t, reg, "leaguemail_mailin_bodyless_total"); got < 2 {
		t.Errorf("leaguemail_mailin_bodyless_total = %v, want at least 2", got)
	}
	if logs.count("without a body") == 0 {
		t.Errorf("no log line says a mail came without a body")
	}

	broken.Store(false)
	session("all taken once the server answers", 5, 0)
	if _, dups := sink.snapshot(); dups != 0 {
		t.Errorf("%d mails taken twice", dups)
	}
	if uv, last, _ := sink.Checkpoint(context.Background(), mustNew(t, cfg, sink).Name()); uv == 0 || last != 5 {
		t.Errorf("checkpoint %d/%d, want 5", uv, last)
	}
}

// counterSum is the sum of the counter name over its labels.
func counterSum(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// TestBodylessLast: a bodyless mail that is the highest UID does not keep
// the intake asking for it in a loop: the session catches up and waits,
// having said so once.
func TestBodylessLast(t *testing.T) {
	addr := memServerWith(t, func(u imap.UID) fetchMode {
		if u == 2 {
			return answerBodyless
		}
		return answerWhole
	})
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := dovecottest.Append(c, "INBOX", rawMail("last", i)); err != nil {
			t.Fatal(err)
		}
	}
	sink := newMemSink()
	logs := newLogRecorder(t)
	in := mustNew(t, fastConfig("imap://u:pw@"+addr+"/INBOX?tls=none", slog.New(logs)), sink)
	stop := running(t, in)
	waitFor(t, 5*time.Second, "caught up", func() bool { return !in.Status().LastSuccess.IsZero() })
	time.Sleep(300 * time.Millisecond) // three poll intervals
	stop()
	if n := logs.count("without a body"); n != 1 {
		t.Errorf("%d warnings about the bodyless mail in one session, want 1", n)
	}
	if sink.count() != 1 {
		t.Errorf("%d taken, want 1", sink.count())
	}
}

// TestReleaseRetried: a Release the store failed is retried, at the latest
// when Run returns, so that a clean stop never counts as a crash.
func TestReleaseRetried(t *testing.T) {
	addr := memServer(t)
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := dovecottest.Append(c, "INBOX", rawMail("release", i)); err != nil {
			t.Fatal(err)
		}
	}
	sink := newMemSink()
	failed := 0
	sink.releaseErr = func() error {
		if failed == 0 {
			failed++
			return errors.New("database is locked")
		}
		return nil
	}
	in := mustNew(t, fastConfig("imap://u:pw@"+addr+"/INBOX?tls=none", slog.New(newLogRecorder(t))), sink)
	stop := running(t, in)
	waitFor(t, 5*time.Second, "both taken", func() bool { return sink.count() == 2 })
	stop()
	if failed != 1 {
		t.Fatalf("release failed %d times, want once", failed)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.hands) != 0 {
		t.Errorf("still recorded in hand after a clean stop: %v", sink.hands)
	}
}
