package sla

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

const (
	league = "report@league.example"
	alex   = "alex@volunteers.example"
	sam    = "sam@volunteers.example"
	lead   = "leads@league.example"
)

var (
	secret = []byte("0123456789abcdef-test-secret")
	// t0 is a Tuesday, in winter.
	t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
)

// harness is the triage gateway and the monitor over one store, on one
// fake clock.
type harness struct {
	t   testing.TB
	ctx context.Context
	st  *store.Store
	g   *triage.Gateway
	mon *Monitor
	cfg Config
	now time.Time
	seq int
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHarness(t testing.TB, adjust ...func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), now: t0}
	st, err := store.Open(h.ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.g, err = triage.New(st, triage.Config{
		Address: league, Domains: []string{"league.example"}, Secret: secret,
		Triagers: []string{alex, sam}, Now: func() time.Time { return h.now }, Logger: discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.cfg = Config{
		Address: league, Triagers: []string{alex, sam}, EscalateTo: []string{lead},
		Targets: Targets{
			"medium":   {10 * time.Minute, time.Hour},
			"critical": {time.Minute, 10 * time.Minute},
		},
		DigestAt: -1, Tokens: replytoken.New(secret), Now: func() time.Time { return h.now }, Logger: discard(),
	}
	for _, f := range adjust {
		f(&h.cfg)
	}
	h.restart()
	return h
}

// restart makes a new monitor over the same store, as a new `serve` does.
func (h *harness) restart() {
	h.t.Helper()
	m, err := New(h.st, h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mon = m
}

// at moves the clock to t0 + d and runs one tick; it returns the mails
// the tick queued.
func (h *harness) at(d time.Duration) []store.OutboxMail {
	h.t.Helper()
	h.now = t0.Add(d)
	before := h.outbox()
	if _, err := h.mon.Tick(h.ctx); err != nil {
		h.t.Fatalf("tick at %v: %v", d, err)
	}
	return h.outbox()[len(before):]
}

func (h *harness) outbox() []store.OutboxMail {
	h.t.Helper()
	ms, err := h.st.Outbox(h.ctx, store.OutboxFilter{})
	if err != nil {
		h.t.Fatal(err)
	}
	slices.SortFunc(ms, func(a, b store.OutboxMail) int { return int(a.ID - b.ID) })
	return ms
}

// take feeds one raw mail to triage at the current time.
func (h *harness) take(raw string) {
	h.t.Helper()
	h.seq++
	if err := h.g.Take(h.ctx, []byte(strings.ReplaceAll(raw, "\n", "\r\n")), store.Origin{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(h.seq)}); err != nil {
		h.t.Fatal(err)
	}
}

// report sends a report from a reporter and returns its ticket number.
func (h *harness) report(from, subject string) int64 {
	h.t.Helper()
	h.seq++
	h.take(fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\nMessage-ID: <r%d@hospital.example>\nDate: %s\n\nPlease look at http://login-portal.phish.com/verify now.\n",
		from, league, subject, h.seq, h.now.Format(time.RFC1123Z)))
	ts, err := h.st.Tickets(h.ctx, store.TicketFilter{})
	if err != nil || len(ts) == 0 {
		h.t.Fatalf("no ticket: %v", err)
	}
	return ts[0].Number
}

// command sends commands as triager from on ticket n, authenticated by
// the reply token issued to them.
func (h *harness) command(from string, n int64, lines ...string) {
	h.t.Helper()
	h.seq++
	to := replytoken.Address(league, replytoken.New(secret).Issue(n, from))
	h.take(fmt.Sprintf("From: %s\nTo: %s\nSubject: Re: [League #%d] x\nMessage-ID: <c%d@volunteers.example>\nDate: %s\n\n%s\n",
		from, to, n, h.seq, h.now.Format(time.RFC1123Z), strings.Join(lines, "\n")))
}

// answer sends an answer as from to the reply address issued to them.
func (h *harness) answer(from string, n int64, text string) {
	h.t.Helper()
	h.seq++
	to := replytoken.Address(league, replytoken.New(secret).Issue(n, from))
	h.take(fmt.Sprintf("From: %s\nTo: %s\nSubject: Re: [League #%d] x\nMessage-ID: <a%d@hospital.example>\nDate: %s\n\n%s\n",
		from, to, n, h.seq, h.now.Format(time.RFC1123Z), text))
}

func kinds(ms []store.OutboxMail, kind string) []store.OutboxMail {
	var out []store.OutboxMail
	for _, m := range ms {
		if m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

func recipients(ms []store.OutboxMail) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Recipients...)
	}
	slices.Sort(out)
	return out
}

func (h *harness) events(n int64, kind string) []store.Event {
	h.t.Helper()
	evs, err := h.st.Events(h.ctx, n)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []store.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

func onTicket(ms []store.OutboxMail, n int64) []store.OutboxMail {
	var out []store.OutboxMail
	for _, m := range ms {
		if m.Ticket == n {
			out = append(out, m)
		}
	}
	return out
}

func storeOrigin(uid uint32) store.Origin {
	return store.Origin{Mailbox: "INBOX", UIDValidity: 1, UID: uid}
}
