package mailin

import (
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

// TestRetryAfterProgress: a session that took mail in before it failed
// (a flaky link, a store that failed once) is followed by a quick retry,
// not by a wait that doubled with every such session: here every third
// take fails, and without the reset the waits would have grown to
// RetryMax before the mailbox was read.
func TestRetryAfterProgress(t *testing.T) {
	addr := memServer(t)
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("u", "pw").Wait(); err != nil {
		t.Fatal(err)
	}
	const n = 18
	for i := range n {
		if _, err := dovecottest.Append(c, "INBOX", rawMail("flaky", i)); err != nil {
			t.Fatal(err)
		}
	}
	sink := newMemSink()
	sink.fail = func([]byte) error {
		if sink.takes%3 == 0 {
			return errors.New("store: busy")
		}
		return nil
	}
	cfg := fastConfig("imap://u:pw@"+addr+"/INBOX?tls=none", slog.New(newLogRecorder(t)))
	cfg.RetryMin, cfg.RetryMax = 200*time.Millisecond, 10*time.Second
	in := mustNew(t, cfg, sink)
	start := time.Now()
	running(t, in)
	// Nine failures: waits of 0.1-0.2s each with the reset; without it
	// they double up to RetryMax, more than 20s in all.
	deadline := start.Add(6 * time.Second)
	for sink.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d mails taken in after %v, with a failure every third take: the retry waits kept doubling though each session took mail in",
				sink.count(), n, time.Since(start))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
