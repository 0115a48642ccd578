// Package t21_two_gateways proves issue 21 on the built binary: two
// `serve` processes share one PostgreSQL store. While 300 reports arrive,
// the leader (the one running the IMAP intake and the timers) is killed
// with SIGKILL again and again and started again, and once its
// PostgreSQL connection is cut by a proxy while it runs on. Each time the
// other takes over within the failover time ([store] failover = 3s), and
// the cut-off leader stops leading on its own. In the end every report is
// one ticket with one acknowledgement, no mail was sent by both gateways
// (its sending is logged once at most across the two logs), and an
// acknowledgement received twice is only the same outbox mail
// sent again after a kill fell between the server's 250 and its record.
package t21_two_gateways

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/internal/pgtest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	nReports = 300
	minKills = 6
	failover = 3 * time.Second
)

func listenAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestTwoGateways(t *testing.T) {
	began := time.Now()
	r := e2etest.Rand(t)
	pg := pgtest.Start(t)
	direct := pg.Schema(t)
	proxy := e2etest.StartTCPProxy(t, fmt.Sprintf("127.0.0.1:%d", pg.Port))
	viaProxy := strings.Replace(direct, fmt.Sprintf("127.0.0.1:%d", pg.Port), proxy.Addr, 1)

	hospitals := e2etest.Hospitals(6)
	reports := e2etest.PhishingReports(t, r, "t21", nReports, hospitals)
	e := e2etest.Start(t, hospitals...)
	tmpl := filepath.Join("testdata", "leaguemail.toml.tmpl")
	// Gateway A reaches PostgreSQL through the proxy, B directly; the
	// test's own reads (tickets list, outbox list) go directly too.
	cfgA, listenA := e.Config, e.Data.HTTPListen
	e.Data.Store = viaProxy
	e.WriteConfig(tmpl)
	cfgB, listenB := filepath.Join(e.Dir, "b.toml"), listenAddr(t)
	e.Data.Store, e.Data.HTTPListen, e.Config = direct, listenB, cfgB
	e.WriteConfig(tmpl)

	a := e.ServeConfig(cfgA, listenA, filepath.Join(e.Dir, "a.log"))
	e2etest.WaitFor(t, 2*failover, "gateway A leading", func() bool { return a.Role() == "leader" })
	b := e.ServeConfig(cfgB, listenB, filepath.Join(e.Dir, "b.log"))
	if role := b.Role(); role != "standby" {
		t.Fatalf("the second gateway says %q, want standby", role)
	}
	gws := [2]*e2etest.Gateway{a, b}

	feeder := e.Dovecot.Client(t, e2etest.Address)
	var fed atomic.Int64
	feedErr := make(chan error, 1)
	// The feeder draws from a source of its own, seeded from r: a
	// *rand.Rand is not safe for two goroutines, and a replay stays one.
	fr := rand.New(rand.NewPCG(r.Uint64(), r.Uint64()))
	go func() {
		for _, rep := range reports {
			if _, err := dovecottest.Append(feeder, "INBOX", rep.Raw); err != nil {
				feedErr <- fmt.Errorf("append report %d: %v", rep.N, err)
				return
			}
			fed.Add(1)
			if fr.IntN(4) > 0 {
				time.Sleep(e2etest.Between(fr, 0, 90*time.Millisecond))
			}
		}
		feedErr <- nil
	}()

	// takeover waits for gateway i to lead and returns how long it took.
	takeover := func(i int, what string) time.Duration {
		t.Helper()
		start := time.Now()
		for gws[i].Role() != "leader" {
			if time.Since(start) > 3*failover {
				t.Fatalf("%s: gateway %c not leading after %v", what, 'A'+i, time.Since(start))
			}
			time.Sleep(25 * time.Millisecond)
		}
		took := time.Since(start)
		if took > failover {
			t.Errorf("%s: gateway %c took over after %v, want within the failover time %v", what, 'A'+i, took, failover)
		}
		return took
	}
	var takeovers []time.Duration

	// Once, early: A's connection to PostgreSQL is cut while A runs on.
	time.Sleep(1500 * time.Millisecond)
	proxy.Cut()
	takeovers = append(takeovers, takeover(1, "A cut off"))
	e2etest.WaitFor(t, failover, "cut-off gateway A standing by", func() bool { return a.Role() == "standby" })
	time.Sleep(e2etest.Between(r, 0, failover))
	proxy.Heal()

	// Then kill whichever leads, at random moments, until the reports are
	// all in and enough kills are done; each killed one starts again (as
	// its supervisor would) and stands by.
	kills := 0
	feeding := true
	for feeding || kills < minKills {
		select {
		case err := <-feedErr:
			if err != nil {
				t.Fatal(err)
			}
			feeding = false
		default:
		}
		time.Sleep(e2etest.Between(r, 200*time.Millisecond, 1500*time.Millisecond))
		leader := -1
		e2etest.WaitFor(t, 3*failover, "a leader", func() bool {
			for i, g := range gws {
				if g.Role() == "leader" {
					leader = i
					return true
				}
			}
			return false
		})
		gws[leader].Kill()
		kills++
		takeovers = append(takeovers, takeover(1-leader, fmt.Sprintf("kill %d", kills)))
		gws[leader] = e.Respawn(gws[leader])
	}
	t.Logf("%d kills and a cut while %d reports arrived, in %v; takeovers %v",
		kills, fed.Load(), time.Since(began).Round(time.Millisecond), takeovers)

	outbox := e.WaitAnswered(nReports, hospitals, 180*time.Second)
	took := time.Since(began)

	ts := e.Tickets()
	byReporter := map[string]int{}
	for _, tk := range ts {
		byReporter[tk.Reporter]++
		if tk.Mails != 1 {
			t.Errorf("ticket #%d of %s holds %d mails, want its report alone", tk.Number, tk.Reporter, tk.Mails)
		}
	}
	for _, rep := range reports {
		if n := byReporter[strings.ToLower(rep.From)]; n != 1 {
			t.Errorf("report %d from %s is %d tickets, want 1", rep.N, rep.From, n)
		}
	}
	acks := map[string]bool{}
	to := map[string]int{}
	for _, m := range outbox {
		if m.Kind != store.KindAck || m.State != store.OutboxSent {
			t.Errorf("outbox mail %d: %s %s, want only acknowledgements, sent", m.ID, m.Kind, m.State)
			continue
		}
		acks[m.MessageID] = true
		for _, rc := range m.Recipients {
			to[rc]++
		}
		// None sent by both: at most one gateway's log records its sending
		// (none when a kill fell between the record and the log line).
		id := strings.Trim(m.MessageID, "<>")
		var sent []string
		for _, g := range gws { // the log file of each slot, every run of it
			sent = append(sent, g.LogLines(`msg="mail sent"`, id)...)
		}
		if len(sent) > 1 {
			t.Errorf("ack %s: its sending is logged %d times across the two gateways, want once at most:\n%s", id, len(sent), strings.Join(sent, "\n"))
		}
	}
	for _, rep := range reports {
		if n := to[strings.ToLower(rep.From)]; n != 1 {
			t.Errorf("report %d from %s: %d acks queued, want 1", rep.N, rep.From, n)
		}
	}
	received := e.Acks(hospitals)
	doubles := e2etest.Doubles(t, reports, received)
	extra := 0
	for id, n := range doubles {
		extra += n - 1
		if !acks[id] {
			t.Errorf("ack %s received %d times is not an outbox mail", id, n)
		}
	}
	if extra > kills {
		t.Errorf("%d acknowledgements received twice, more than the %d kills could cause", extra, kills)
	}
	if n := e.Dovecot.Count(t, e2etest.Address, "Failed"); n != 0 {
		t.Errorf("%d reports in Failed, want none", n)
	}
	var longest time.Duration
	for _, d := range takeovers {
		longest = max(longest, d)
	}
	t.Logf("figures: reports %d, tickets %d, reports acknowledged %d (acks resent inside the 250-to-commit window %d); "+
		"%d takeovers, the longest %v (failover %v); all through in %v",
		len(reports), len(ts), len(received), extra, len(takeovers), longest.Round(time.Millisecond), failover, took.Round(time.Millisecond))
}
