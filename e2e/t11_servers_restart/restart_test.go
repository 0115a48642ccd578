// Package t11_servers_restart proves that the gateway rides out its mail
// servers going away. While reports keep arriving, Dovecot is stopped for
// a few seconds and started again, then Postfix: /healthz answers 503
// naming the server that is down while it is down, and 200 again after,
// with no restart of the gateway; every report is one ticket and has its
// acknowledgement, once.
package t11_servers_restart

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const nReports = 60

// outageMin is how long each server stays down at least: long enough for
// the gateway to try it, fail and back off more than once.
const outageMin = 3 * time.Second

func TestServersRestart(t *testing.T) {
	began := time.Now()
	r := e2etest.Rand(t)
	hospitals := e2etest.Hospitals(3)
	reports := e2etest.PhishingReports(t, r, "t11", nReports, hospitals)
	e := e2etest.Start(t, hospitals...)
	gw := e.Serve()

	// Reports keep coming, one every 100 to 300ms, through Postfix or,
	// while Postfix is down, straight into Dovecot. The feeder stops
	// after half of them and waits for the go-ahead before the rest, so
	// that both outages fall while mail flows.
	var sent atomic.Int64
	var mu sync.Mutex
	vias := map[string]int{}
	pauses := make([]time.Duration, len(reports))
	for i := range pauses {
		pauses[i] = e2etest.Between(r, 100*time.Millisecond, 300*time.Millisecond)
	}
	feedErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		for i, rep := range reports {
			for {
				via, err := e.Deliver(rep.From, rep.Raw)
				if err == nil {
					mu.Lock()
					vias[via]++
					mu.Unlock()
					break
				}
				select {
				case <-stop:
					feedErr <- err
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			sent.Add(1)
			select {
			case <-stop:
				feedErr <- fmt.Errorf("stopped after %d reports", i+1)
				return
			case <-time.After(pauses[i]):
			}
		}
		feedErr <- nil
	}()
	defer close(stop)

	e2etest.WaitFor(t, 30*time.Second, "the first reports taken in", func() bool {
		return e.Dovecot.Count(t, e2etest.Address, "Processed") >= 3
	})

	outage := func(name string, down, up func(), names func(problem string) bool) (detect, recover time.Duration) {
		t.Helper()
		stopped := time.Now()
		down()
		var body string
		e2etest.WaitFor(t, 30*time.Second, "/healthz 503 naming "+name, func() bool {
			code, h, b := gw.Healthz()
			body = b
			return code == 503 && h.Status == "degraded" && slices.ContainsFunc(h.Problems, names)
		}, func() string { return body })
		detect = time.Since(stopped)
		at := sent.Load()
		// Down for a few seconds while reports keep arriving: the
		// health check must go on saying what is wrong all along.
		for time.Since(stopped) < outageMin || sent.Load() < at+3 {
			code, h, b := gw.Healthz()
			if code != 503 || !slices.ContainsFunc(h.Problems, names) {
				t.Errorf("/healthz while %s is down: %d %s", name, code, b)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("%s down %v; /healthz said so after %v: %s", name, time.Since(stopped).Round(time.Millisecond), detect.Round(time.Millisecond), strings.Join(strings.Fields(body), " "))
		started := time.Now()
		up()
		e2etest.WaitFor(t, 30*time.Second, "/healthz 200 after "+name+" came back", func() bool {
			code, h, b := gw.Healthz()
			body = b
			return code == 200 && h.Status == "ok" && len(h.Problems) == 0
		}, func() string { return body })
		return detect, time.Since(started)
	}

	imapDetect, imapRecover := outage("dovecot", e.Dovecot.Stop, e.Dovecot.Start, func(p string) bool {
		return strings.HasPrefix(p, "imap ") && strings.Contains(p, "not connected")
	})
	smtpDetect, smtpRecover := outage("postfix", e.StopPostfix, e.StartPostfix, func(p string) bool {
		return strings.HasPrefix(p, "smtp: ") && strings.Contains(p, e.Postfix.Addr)
	})

	if err := <-feedErr; err != nil {
		t.Fatalf("feeding reports: %v", err)
	}
	limit := 60 * time.Second
	outbox := e.WaitAnswered(nReports, hospitals, limit)
	processed := e.Dovecot.Count(t, e2etest.Address, "Processed")

	ts := e.Tickets()
	byReporter := map[string]int{}
	for _, tk := range ts {
		byReporter[tk.Reporter]++
	}
	for _, rep := range reports {
		if n := byReporter[strings.ToLower(rep.From)]; n != 1 {
			t.Errorf("report %d from %s is %d tickets, want 1", rep.N, rep.From, n)
		}
	}
	if len(ts) != nReports || len(outbox) != nReports {
		t.Errorf("%d tickets and %d outbox mails for %d reports", len(ts), len(outbox), nReports)
	}
	// An acknowledgement may reach its mailbox twice for the same
	// reason; what the gateway answers for is what it handed Postfix.
	doubles := e2etest.Doubles(t, reports, e.Acks(hospitals))
	for id, n := range doubles {
		if took := strings.Count(e.Postfix.Log(), "message-id="+id); took != 1 {
			t.Errorf("acknowledgement %s received %d times; the gateway handed it to Postfix %d times:\n%s", id, n, took, trail(e, id))
		}
	}
	mu.Lock()
	t.Logf("figures: faults injected 2 (Dovecot stopped and started, then Postfix); reports %d (%d through Postfix, %d appended while it was down); "+
		"/healthz 503 after %v (imap) and %v (smtp), 200 again %v and %v after the restart; lost 0, sent twice by the gateway 0; "+
		"delivered twice by Postfix and Dovecot across their restarts: %d reports, %d acks; in %v",
		nReports, vias["postfix"], vias["imap"], imapDetect.Round(time.Millisecond), smtpDetect.Round(time.Millisecond),
		imapRecover.Round(time.Millisecond), smtpRecover.Round(time.Millisecond), processed-nReports, len(doubles), time.Since(began).Round(time.Millisecond))
	mu.Unlock()
}

// trail is what Postfix and Dovecot logged of the mail with that
// Message-ID: how it went from the gateway to the mailbox.
func trail(e *e2etest.Env, id string) string {
	var out, queueIDs []string
	pf := strings.Split(e.Postfix.Log(), "\n")
	for _, l := range pf {
		if strings.Contains(l, "message-id="+id) {
			if f := strings.Fields(l); len(f) > 5 {
				queueIDs = append(queueIDs, strings.TrimSuffix(f[5], ":"))
			}
		}
	}
	for _, l := range pf {
		for _, q := range queueIDs {
			if strings.Contains(l, q) {
				out = append(out, l)
			}
		}
	}
	for _, l := range strings.Split(e.Dovecot.Log(), "\n") {
		if strings.Contains(l, id) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
