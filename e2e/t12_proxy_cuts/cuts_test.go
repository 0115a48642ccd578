// Package t12_proxy_cuts proves that connections cut in the middle of a
// command lose nothing and double nothing. The gateway reaches Dovecot
// and Postfix through TCP proxies of the test that reset connections at
// random: in the middle of a FETCH answer, during IDLE, at any byte of a
// session, and half way through the text of a mail after DATA. Every
// report is one ticket, acknowledged once.
package t12_proxy_cuts

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
	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

// At least minReports reports arrive, and more until the proxy has cut
// enough FETCH answers (there are FETCHes only while mail arrives), up to
// maxReports.
const minReports, maxReports = 60, 150

// minCuts is how many cuts of each kind the scenario makes at least. IDLE
// cuts come only as fast as the gateway reconnects and idles again, which
// under the race detector on two busy cores can be slow: two are enough
// to prove the point.
var minCuts = map[string]int{"FETCH": 4, "IDLE": 2, "DATA": 4}

func TestProxyCuts(t *testing.T) {
	began := time.Now()
	r := e2etest.Rand(t)
	hospitals := e2etest.Hospitals(3)
	reports := e2etest.PhishingReports(t, r, "t12", maxReports, hospitals)
	e := e2etest.Start(t, hospitals...)
	// Reports arrive one every 50 to 300ms, straight into the mailbox;
	// drawn now, before the proxies' plans share r.
	pauses := make([]time.Duration, len(reports))
	for i := range pauses {
		pauses[i] = e2etest.Between(r, 50*time.Millisecond, 300*time.Millisecond)
	}

	// The plans run in the proxies' goroutines: r is shared under mu.
	var mu sync.Mutex
	var cutting atomic.Bool
	cutting.Store(true)
	imapPlan := func(cmd string) *e2etest.Cut {
		mu.Lock()
		defer mu.Unlock()
		if !cutting.Load() {
			return nil
		}
		switch p := r.Float64(); {
		case cmd == "FETCH" && p < 0.5: // somewhere in the answer: the reports' text
			return &e2etest.Cut{Bytes: r.Int64N(48 << 10)}
		case cmd == "IDLE" && p < 0.8: // while the gateway waits for news
			return &e2etest.Cut{Delay: e2etest.Between(r, 20*time.Millisecond, time.Second)}
		case cmd == "" && p < 0.1: // at any byte: login, select, search, move
			return &e2etest.Cut{Bytes: r.Int64N(8 << 10)}
		}
		return nil
	}
	smtpPlan := func(cmd string) *e2etest.Cut {
		mu.Lock()
		defer mu.Unlock()
		if !cutting.Load() || cmd != "DATA" || r.Float64() >= 0.35 {
			return nil
		}
		// Before the end of the text: the server drops the mail. (A cut
		// after the final dot and before the 250 is the window t10
		// measures: the mail would be delivered and sent again.)
		return &e2etest.Cut{Upstream: true, Bytes: r.Int64N(1000)}
	}
	imapProxy := e2etest.StartProxy(t, e.Dovecot.Addr, true, imapPlan)
	smtpProxy := e2etest.StartProxy(t, e.Postfix.Addr, false, smtpPlan)
	e.Data.IMAPURL = strings.Replace(e.Data.IMAPURL, e.Dovecot.Addr, imapProxy.Addr, 1)
	e.Data.SMTPURL = strings.Replace(e.Data.SMTPURL, e.Postfix.Addr, smtpProxy.Addr, 1)
	e.WriteConfig("testdata/leaguemail.toml.tmpl")
	e.Serve()

	cuts := func() map[string]int {
		m := imapProxy.Cuts()
		for k, v := range smtpProxy.Cuts() {
			m[k] += v
		}
		return m
	}
	enough := func(kinds ...string) bool {
		c := cuts()
		for k, n := range minCuts {
			if c[k] < n && (len(kinds) == 0 || slices.Contains(kinds, k)) {
				return false
			}
		}
		return true
	}

	feeder := e.Dovecot.Client(t, e2etest.Address)
	fed := 0
	for fed < minReports || !enough("FETCH") && fed < maxReports {
		rep := reports[fed]
		if _, err := dovecottest.Append(feeder, "INBOX", rep.Raw); err != nil {
			t.Fatalf("append report %d: %v", rep.N, err)
		}
		fed++
		time.Sleep(pauses[fed-1])
	}
	reports = reports[:fed]
	nReports := fed

	// Keep cutting until each kind has its share; IDLE cuts need the
	// gateway idle, which it is once it has caught up, and it issues IDLE
	// again every 2s (idle_restart in the config).
	e2etest.WaitFor(t, 150*time.Second, "enough cuts of each kind", func() bool { return enough() }, func() string { return fmt.Sprint(cuts()) })
	cutting.Store(false)
	injected := time.Since(began)

	limit := 60 * time.Second
	outbox := e.WaitAnswered(nReports, hospitals, limit)

	if n := e.Dovecot.Count(t, e2etest.Address, "Processed"); n != nReports {
		t.Errorf("Processed holds %d mails, want the %d reports once each", n, nReports)
	}
	ts := e.Tickets()
	byReporter := map[string]int{}
	for _, tk := range ts {
		byReporter[tk.Reporter]++
		if tk.Mails != 1 {
			t.Errorf("ticket #%d holds %d mails, want its report alone", tk.Number, tk.Mails)
		}
	}
	for _, rep := range reports {
		if n := byReporter[strings.ToLower(rep.From)]; n != 1 {
			t.Errorf("report %d from %s is %d tickets, want 1", rep.N, rep.From, n)
		}
	}
	if len(ts) != nReports || len(outbox) != nReports {
		t.Errorf("%d tickets and %d outbox mails for %d reports", len(ts), len(outbox), nReports)
	}
	for id, n := range e2etest.Doubles(t, reports, e.Acks(hospitals)) {
		t.Errorf("acknowledgement %s received %d times", id, n)
	}
	c := cuts()
	total := 0
	var kinds []string
	for k, n := range c {
		total += n
		kinds = append(kinds, fmt.Sprintf("%s %d", strings.ToLower(k), n))
	}
	slices.Sort(kinds)
	t.Logf("figures: connections cut %d (%s) of %d IMAP and %d SMTP connections, in %v; reports %d, tickets %d, lost 0, doubled 0; all through in %v",
		total, strings.Join(kinds, ", "), imapProxy.Conns(), smtpProxy.Conns(), injected.Round(time.Millisecond),
		nReports, len(ts), time.Since(began).Round(time.Millisecond))
}
