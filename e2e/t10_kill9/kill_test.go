// Package t10_kill9 proves DESIGN.md's invariant 1 on the built binary:
// the gateway is killed with SIGKILL at random moments, at least 20
// times, while 300 reports (real phishing mails from the shared corpus,
// forwarded by hospital teams) arrive and are acknowledged, and is
// started again each time. In the end every report is exactly one
// ticket, every reporter has its acknowledgement, and an acknowledgement
// received twice is the same outbox mail sent again (same Message-ID)
// because a kill fell between the server's 250 and the commit that
// records it; there is no other duplicate.
package t10_kill9

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	nReports = 300
	minKills = 20
)

func TestKill9(t *testing.T) {
	began := time.Now()
	r := e2etest.Rand(t)
	hospitals := e2etest.Hospitals(6)
	reports := e2etest.PhishingReports(t, r, "t10", nReports, hospitals)
	e := e2etest.Start(t, hospitals...)
	gw := e.Serve()

	// The reports arrive in the contact mailbox as a delivery agent puts
	// them there, in bursts and trickles, over ten seconds or so.
	pauses := make([]time.Duration, len(reports))
	for i := range pauses {
		if r.IntN(4) > 0 {
			pauses[i] = e2etest.Between(r, 0, 70*time.Millisecond)
		}
	}
	feeder := e.Dovecot.Client(t, e2etest.Address)
	var fed atomic.Int64
	feedErr := make(chan error, 1)
	go func() {
		for i, rep := range reports {
			if _, err := dovecottest.Append(feeder, "INBOX", rep.Raw); err != nil {
				feedErr <- fmt.Errorf("append report %d: %v", rep.N, err)
				return
			}
			fed.Add(1)
			time.Sleep(pauses[i])
		}
		feedErr <- nil
	}()

	// Kill at random moments, from just after a start to a second and
	// more into the run, until the reports are all in and 20 kills done.
	// The pause before a kill is the random moment, not a wait for
	// anything.
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
		time.Sleep(e2etest.Between(r, 0, 1200*time.Millisecond))
		gw.Kill()
		kills++
		gw = e.Respawn(gw)
	}
	t.Logf("%d kills while %d reports arrived, in %v", kills, fed.Load(), time.Since(began).Round(time.Millisecond))

	// The last gateway runs undisturbed until everything is through.
	limit := 120 * time.Second
	outbox := e.WaitAnswered(nReports, hospitals, limit)
	took := time.Since(began)

	checkTickets(t, e, reports)
	acks := checkOutbox(t, outbox, reports)
	received := e.Acks(hospitals)
	doubles := e2etest.Doubles(t, reports, received)
	extra := 0
	for id, n := range doubles {
		extra += n - 1
		// The window: the first copy's 250 came, the kill fell before
		// its commit, and the next gateway sent the mail again and
		// recorded that. So the log has one "mail sent" for it, and
		// the outbox one row.
		if sent := gw.LogLines(`msg="mail sent"`, strings.Trim(id, "<>")); len(sent) != 1 {
			t.Errorf("ack %s received %d times; the log records its sending %d times, want once (only the last, recorded, send):\n%s",
				id, n, len(sent), strings.Join(sent, "\n"))
		}
		if !acks[id] {
			t.Errorf("ack %s received %d times is not an outbox mail", id, n)
		}
	}
	if extra > kills {
		t.Errorf("%d acknowledgements received twice, more than the %d kills could cause", extra, kills)
	}
	for irt, ids := range received {
		for _, id := range ids {
			if !acks[id] {
				t.Errorf("a mail in reply to %s with Message-ID %s is no acknowledgement of the outbox", irt, id)
			}
		}
	}
	if n := e.Dovecot.Count(t, e2etest.Address, "Failed"); n != 0 {
		t.Errorf("%d reports in Failed, want none", n)
	}
	t.Logf("figures: kills survived %d; reports %d, tickets %d, acknowledgements received %d; "+
		"duplicates inside the 250-to-commit window %d (none outside); all through in %v",
		kills, len(reports), len(e.Tickets()), countAll(received), extra, took.Round(time.Millisecond))
}

// checkTickets: every report is exactly one ticket, opened by it alone.
func checkTickets(t *testing.T, e *e2etest.Env, reports []e2etest.Report) {
	t.Helper()
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
			t.Errorf("report %d from %s (%s) is %d tickets, want 1", rep.N, rep.From, rep.Sample, n)
		}
	}
	if len(ts) != len(reports) {
		t.Errorf("%d tickets for %d reports", len(ts), len(reports))
	}
}

// checkOutbox: one acknowledgement queued per ticket, each sent; it
// returns the acknowledgements' Message-IDs.
func checkOutbox(t *testing.T, outbox []store.OutboxMail, reports []e2etest.Report) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	to := map[string]int{}
	for _, m := range outbox {
		if m.Kind != store.KindAck {
			t.Errorf("outbox mail %d is a %s, want only acknowledgements", m.ID, m.Kind)
			continue
		}
		if m.State != store.OutboxSent {
			t.Errorf("ack %d to %v is %s (%s), want sent", m.ID, m.Recipients, m.State, m.LastError)
		}
		ids[m.MessageID] = true
		for _, r := range m.Recipients {
			to[r]++
		}
	}
	for _, rep := range reports {
		if n := to[strings.ToLower(rep.From)]; n != 1 {
			t.Errorf("report %d from %s: %d acks queued, want 1", rep.N, rep.From, n)
		}
	}
	return ids
}

func countAll(m map[string][]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}
