package sla

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// A report nobody takes: the on-call triagers at the target, the leads too
// at twice it, never twice the same, across a restart; a #take by reply
// stops the response reminders, and the owner alone hears of the resolve
// target.
func TestResponseReminders(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing at St Mary")
	if got := kinds(h.at(9*time.Minute+59*time.Second), store.KindReminder); len(got) != 0 {
		t.Fatalf("before the 10m target: %d reminders", len(got))
	}
	got := kinds(h.at(10*time.Minute), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex, sam}) {
		t.Fatalf("at the target: reminders to %v, want every triager (no shifts)", r)
	}
	for _, m := range got {
		tok := replytoken.New(secret).Issue(n, m.Recipients[0])
		if m.ReplyTo != replytoken.Address(league, tok) {
			t.Errorf("reminder to %s has Reply-To %q, not their own token of #%d", m.Recipients[0], m.ReplyTo, n)
		}
		d, _ := m.MailData()
		if !strings.Contains(d.Result, "(medium) has waited 10m: from nurse@stmary.example, 2 indicators.") {
			t.Errorf("reminder says %q", d.Result)
		}
		if !strings.Contains(m.Subject, "[League #1] Reminder: 10m without a response") {
			t.Errorf("subject %q", m.Subject)
		}
	}
	if got := h.at(11 * time.Minute); len(got) != 0 {
		t.Fatalf("the next tick queued %d more", len(got))
	}
	h.restart()
	if got := h.at(12 * time.Minute); len(got) != 0 {
		t.Fatalf("after a restart: %d more mails", len(got))
	}
	got = kinds(h.at(20*time.Minute), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex, lead, sam}) {
		t.Fatalf("at twice the target: reminders to %v, want the triagers and the leads", r)
	}
	d, _ := got[0].MailData()
	if !strings.Contains(d.Result, "twice its target of 10m") {
		t.Errorf("escalated reminder says %q", d.Result)
	}

	h.now = t0.Add(25 * time.Minute)
	h.command(alex, n, "#take")
	if got := h.at(59 * time.Minute); len(kinds(got, store.KindReminder)) != 0 {
		t.Fatalf("taken, before the resolve target: %v", recipients(got))
	}
	got = kinds(h.at(time.Hour), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex}) {
		t.Fatalf("at the resolve target: reminders to %v, want the owner alone", r)
	}
	got = kinds(h.at(2*time.Hour), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex, lead}) {
		t.Fatalf("at twice the resolve target: reminders to %v, want the owner and the leads", r)
	}
	if evs := h.events(n, "reminded"); len(evs) != 4 {
		t.Errorf("%d reminded events, want 4", len(evs))
	}
}

// A gateway down past twice the target sends one reminder, the escalated
// one, not both.
func TestDownPastTwiceTheTarget(t *testing.T) {
	h := newHarness(t)
	h.report("nurse@stmary.example", "Phishing")
	got := kinds(h.at(3*time.Hour), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex, lead, sam}) {
		t.Fatalf("reminders to %v", r)
	}
	if got := h.at(3*time.Hour + time.Minute); len(got) != 0 {
		t.Fatalf("%d more", len(got))
	}
}

// Targets are per severity: a critical ticket is due in a minute, a
// medium one in ten; a severity set by a command is a first response.
func TestTargetsPerSeverity(t *testing.T) {
	h := newHarness(t)
	a := h.report("nurse@stmary.example", "Ransomware note")
	b := h.report("it@general.example", "Odd mail")
	h.now = t0.Add(30 * time.Second)
	h.command(alex, a, "#severity critical")
	// #severity was a first response: the critical ticket is now on its
	// resolve clock, 10 minutes.
	if got := kinds(h.at(9*time.Minute), store.KindReminder); len(got) != 0 {
		t.Fatalf("at 9m: %d reminders", len(got))
	}
	got := kinds(h.at(10*time.Minute), store.KindReminder)
	var tickets []int64
	for _, m := range got {
		tickets = append(tickets, m.Ticket)
	}
	slices.Sort(tickets)
	for _, m := range onTicket(got, b) {
		if d, _ := m.MailData(); !strings.Contains(d.Result, "2 indicators, seen in 1 other report.") {
			t.Errorf("reminder of #%d says %q", b, d.Result)
		}
	}
	if !slices.Equal(tickets, []int64{a, a, b, b}) {
		t.Fatalf("at 10m: reminders on %v, want #%d's resolve and #%d's response to both triagers", tickets, a, b)
	}
	ts, _ := h.st.SLATickets(h.ctx, true)
	for _, x := range ts {
		c := h.mon.Targets().Clock(x, h.now)
		if !c.Overdue {
			t.Errorf("#%d not overdue at 10m: %+v", x.Number, c)
		}
	}
}

// Reminders go to those on shift now, by their time zone, else to all.
func TestRotaReminders(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.OnCall = map[string]string{sam: "Mon-Fri 18:00-08:00 America/New_York"}
	})
	if err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		return tx.SetShift(h.ctx, alex, "Mon-Fri 08:00-16:00 Europe/Paris")
	}); err != nil {
		t.Fatal(err)
	}
	first := h.report("nurse@stmary.example", "Phishing") // 09:00 UTC, 10:00 in Paris, 04:00 in New York
	got := kinds(h.at(10*time.Minute), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex, sam}) {
		// 04:10 in New York is in sam's night shift, 10:10 in Paris in alex's.
		t.Fatalf("reminders to %v", r)
	}
	h.now = t0.Add(15 * time.Minute)
	h.command(alex, first, "#take")
	h.now = t0.Add(5 * time.Hour) // 14:00 UTC: 15:00 Paris, 09:00 New York
	second := h.report("it@general.example", "Second")
	got = onTicket(kinds(h.at(5*time.Hour+10*time.Minute), store.KindReminder), second)
	if r := recipients(got); !slices.Equal(r, []string{alex}) {
		t.Fatalf("15:10 in Paris, 09:10 in New York: reminders to %v, want alex alone", r)
	}
	h.now = t0.Add(7 * time.Hour) // 16:00 UTC: 17:00 Paris, 11:00 New York: no one
	third := h.report("it@third.example", "Third")
	got = onTicket(kinds(h.at(7*time.Hour+10*time.Minute), store.KindReminder), third)
	if r := recipients(got); !slices.Equal(r, []string{alex, sam}) {
		t.Fatalf("no one on shift: reminders to %v, want every triager", r)
	}
}

// #wait pauses the resolve clock; the end of its duration resumes it and
// tells the owner; the resolve target moves by the time waited.
func TestWaitDuration(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing")
	h.now = t0.Add(5 * time.Minute)
	h.command(alex, n, "#take", "#wait 2h CERT-FR's answer")
	// The ticket waits past its 1h resolve target: no reminder.
	if got := kinds(h.at(90*time.Minute), store.KindReminder); len(got) != 0 {
		t.Fatalf("while waiting: %v", recipients(got))
	}
	got := kinds(h.at(2*time.Hour+5*time.Minute), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex}) {
		t.Fatalf("wait over: mails to %v, want the owner", r)
	}
	if !strings.Contains(got[0].Subject, "Wait over") {
		t.Errorf("subject %q", got[0].Subject)
	}
	d, _ := got[0].MailData()
	if !strings.Contains(d.Result, "CERT-FR's answer") || !strings.Contains(d.Result, "due in 55m") {
		t.Errorf("wait over says %q", d.Result)
	}
	// 5 minutes ran before the wait: the 1h target is 55 minutes on.
	if got := kinds(h.at(2*time.Hour+59*time.Minute), store.KindReminder); len(got) != 0 {
		t.Fatalf("before the moved target: %v", recipients(got))
	}
	if got := kinds(h.at(3*time.Hour), store.KindReminder); !slices.Equal(recipients(got), []string{alex}) {
		t.Fatalf("at the moved target: %v", recipients(got))
	}
	if len(h.events(n, "resumed")) != 1 {
		t.Errorf("no resumed event")
	}
}

// The answer of the party waited on resumes the clock at once and tells
// the owner; a triager's own mail does not.
func TestWaitAnswered(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing")
	h.now = t0.Add(time.Minute)
	h.command(alex, n, "#take", "#wait")
	h.now = t0.Add(10 * time.Minute)
	h.command(sam, n, "#severity high")
	ts, _ := h.st.SLATickets(h.ctx, true)
	if !ts[0].Wait.Waiting() {
		t.Fatalf("a triager's command ended the wait")
	}
	h.now = t0.Add(30 * time.Minute)
	before := len(h.outbox())
	h.answer("nurse@stmary.example", n, "Here is the header you asked for.")
	out := h.outbox()[before:]
	upd := kinds(out, store.KindTriagerUpdate)
	if r := recipients(upd); !slices.Equal(r, []string{alex}) {
		t.Fatalf("answer: updates to %v, want the owner", r)
	}
	if !strings.Contains(upd[0].Subject, "Answer came") {
		t.Errorf("subject %q", upd[0].Subject)
	}
	ts, _ = h.st.SLATickets(h.ctx, true)
	if ts[0].Wait.Waiting() || ts[0].Wait.Paused != 29*time.Minute {
		t.Fatalf("after the answer: %+v, want not waiting, 29m paused", ts[0].Wait)
	}
	c := h.mon.Targets().Clock(ts[0], h.now)
	if c.Active != time.Minute || c.Severity != "high" {
		t.Errorf("clock %+v", c)
	}
}

func TestWaitErrors(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing")
	h.command(alex, n, "#wait 400d")
	errs := kinds(h.outbox(), store.KindCommandError)
	if len(errs) != 1 {
		t.Fatalf("%d command errors", len(errs))
	}
	d, _ := errs[0].MailData()
	if !strings.Contains(d.Result, "between 1m and 90 days") {
		t.Errorf("error says %q", d.Result)
	}
	h.command(alex, n, "#close resolved", "#wait")
	errs = kinds(h.outbox(), store.KindCommandError)
	if d, _ := errs[len(errs)-1].MailData(); !strings.Contains(d.Result, "waits for nothing") {
		t.Errorf("error says %q", d.Result)
	}
}

// A closed ticket is reminded of nothing.
func TestClosedNoReminder(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing")
	h.now = t0.Add(time.Minute)
	h.command(alex, n, "#close benign")
	if got := kinds(h.at(5*time.Hour), store.KindReminder); len(got) != 0 {
		t.Fatalf("closed: %v", recipients(got))
	}
}

func TestMetrics(t *testing.T) {
	h := newHarness(t)
	a := h.report("nurse@stmary.example", "One")
	h.report("it@general.example", "Two")
	h.now = t0.Add(2 * time.Minute)
	h.command(alex, a, "#take", "#close resolved")
	h.now = t0.Add(time.Hour)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(h.st, h.mon.Targets(), func() time.Time { return h.now }))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() != "medium" {
				continue
			}
			if mf.GetName() == "leaguemail_sla_overdue_tickets" {
				if v := m.GetGauge().GetValue(); v != 1 {
					t.Errorf("overdue{medium} = %v, want 1", v)
				}
				continue
			}
			if hs := m.GetHistogram(); hs.GetSampleCount() != 1 || hs.GetSampleSum() != 120 {
				t.Errorf("%s{medium}: %d samples, sum %v; want 1 of 120s", mf.GetName(), hs.GetSampleCount(), hs.GetSampleSum())
			}
		}
	}
}

// Over the budget of automatic mail, reminders join each triager's
// budget digest: a flood of reports is not a flood of reminders.
func TestRemindersOverBudget(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AutoMailsPerHour = 4 })
	h.report("a@one.example", "One")
	h.report("b@two.example", "Two") // two notices each: the budget is spent
	got := h.at(10 * time.Minute)
	if n := len(kinds(got, store.KindReminder)); n != 0 {
		t.Fatalf("%d reminders over the budget", n)
	}
	digests := kinds(got, store.KindTriagerDigest)
	if r := recipients(digests); !slices.Equal(r, []string{alex, sam}) {
		t.Fatalf("digests to %v, want one per triager", r)
	}
	all := kinds(h.outbox(), store.KindTriagerDigest)
	for _, m := range all {
		d, _ := m.MailData()
		if len(d.Digest) != 2 || d.Digest[0].What != "reminder: 10m without a response" {
			t.Errorf("digest to %v: %+v", m.Recipients, d.Digest)
		}
		if !m.NextAttemptAt.After(h.now) {
			t.Errorf("the digest leaves at once")
		}
	}
	if got := h.at(11 * time.Minute); len(got) != 0 {
		t.Errorf("the next tick queued %d", len(got))
	}
}

// Closing a waiting ticket ends its wait: reopened, it is not waiting.
func TestCloseEndsWait(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing")
	h.now = t0.Add(time.Minute)
	h.command(alex, n, "#wait 1d CERT")
	h.now = t0.Add(11 * time.Minute)
	h.command(alex, n, "#close resolved")
	h.now = t0.Add(20 * time.Minute)
	h.command(alex, n, "#reopen")
	ts, _ := h.st.SLATickets(h.ctx, true)
	// Paused: the 10 minutes of the wait, and the 9 it stood closed.
	if len(ts) != 1 || ts[0].Wait.Waiting() || ts[0].Wait.Paused != 19*time.Minute {
		t.Fatalf("reopened: %+v", ts)
	}
}

// A reopened ticket's resolve clock runs on from where it stopped, and
// its resolve targets are reminded again.
func TestReopenedClock(t *testing.T) {
	h := newHarness(t)
	n := h.report("nurse@stmary.example", "Phishing")
	h.now = t0.Add(time.Minute)
	h.command(alex, n, "#take")
	if got := kinds(h.at(time.Hour), store.KindReminder); len(got) != 1 {
		t.Fatalf("resolve target: %d reminders", len(got))
	}
	h.now = t0.Add(70 * time.Minute)
	h.command(alex, n, "#close resolved")
	h.now = t0.Add(5 * time.Hour)
	h.command(alex, n, "#reopen")
	// 70 minutes ran before the close: past the 1h target at once, and
	// twice it 50 minutes on.
	if got := kinds(h.at(5*time.Hour+time.Minute), store.KindReminder); !slices.Equal(recipients(got), []string{alex}) {
		t.Fatalf("reopened past the resolve target: %v", recipients(got))
	}
	if got := kinds(h.at(5*time.Hour+49*time.Minute), store.KindReminder); len(got) != 0 {
		t.Fatalf("reopened, before twice the target: %v", recipients(got))
	}
	got := kinds(h.at(5*time.Hour+50*time.Minute), store.KindReminder)
	if r := recipients(got); !slices.Equal(r, []string{alex, lead}) {
		t.Fatalf("reopened, at twice the target: %v", r)
	}
}
