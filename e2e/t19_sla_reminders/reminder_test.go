// Package t19_sla_reminders proves that a report nobody answers is
// noticed, end to end through the built binary, a real Postfix and a real
// Dovecot: with a first-response target of seconds, a reminder reaches
// the on-call triager's mailbox (not the triager off call), carrying a
// reply token; the triager's #take, sent as a reply to it, stops the next
// reminder, the one that would go to the leads at twice the target.
package t19_sla_reminders

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	reporter = "soc@hospital-a.example"
	alex     = "alex@volunteers.example"
	sam      = "sam@volunteers.example"
	leads    = "leads@league.example"
	target   = 6 * time.Second
)

func TestReminderThenTake(t *testing.T) {
	e := e2etest.Start(t, reporter, alex, sam, leads)
	if out := e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv")); !strings.Contains(out, "2 added") {
		t.Fatalf("contacts import: %s", out)
	}
	gw := e.Serve()
	report := e2etest.Compose{
		From: "Hospital A SOC <" + reporter + ">", To: e2etest.Address, Subject: "Phishing against our nurses",
		MessageID: "<report-1.t19@hospital-a.example>",
		Body:      "Our nurses got mails linking to http://staff-login.payroll-update.com/verify\n",
	}
	sent := time.Now()
	e.Send(reporter, []string{e2etest.Address}, report.Bytes())
	rem := e.WaitMail(alex, "INBOX", "the reminder", 30*time.Second, e2etest.SubjectHas("[League #1]", "Reminder"))
	t.Logf("reminder %v after the report", time.Since(sent).Round(time.Millisecond))

	t.Run("reminder", func(t *testing.T) {
		if got := rem.Header("Auto-Submitted"); got != "auto-generated" {
			t.Errorf("Auto-Submitted = %q, want auto-generated", got)
		}
		if !strings.Contains(rem.Header("Subject"), "6s without a response") {
			t.Errorf("subject %q", rem.Header("Subject"))
		}
		// The reporter's address is defanged too, as every address in the
		// text of our mails.
		if !strings.Contains(rem.Text, "#1 (medium) has waited 6s: from soc@hospital-a[.]example, 2 indicators.") {
			t.Errorf("reminder lacks its one line:\n%s", rem.Text)
		}
		if strings.Contains(rem.Text, "payroll-update.com") {
			t.Errorf("reminder holds a live indicator:\n%s", rem.Text)
		}
	})
	replyTo := rem.Addresses("Reply-To")
	if len(replyTo) != 1 || !strings.HasPrefix(replyTo[0], "report+t1-") {
		t.Fatalf("the reminder's Reply-To = %q, want alex's reply token of #1", replyTo)
	}
	take := e2etest.Compose{
		From: "Alex <" + alex + ">", To: replyTo[0], Subject: "Re: " + rem.Header("Subject"),
		MessageID: "<take-1.t19@volunteers.example>", InReplyTo: rem.Header("Message-ID"),
		References: []string{rem.Header("Message-ID")}, Body: "#take\n\nOn it.\n",
	}
	e.Send(alex, replyTo, take.Bytes())
	e.WaitMail(alex, "INBOX", "the confirmation of #take", 30*time.Second, e2etest.SubjectHas("[League #1]", "Done"))
	took := time.Since(sent)
	if took >= 2*target {
		t.Skipf("the #take landed %v after the report, past twice the target (%v): the machine is too slow for this scenario's timing", took, 2*target)
	}
	// Wait past twice the target, and a few ticks more.
	time.Sleep(time.Until(sent.Add(2*target + 4*time.Second)))

	code, _ := gw.Stop(10 * time.Second)
	if code != 0 {
		t.Errorf("serve exited with status %d after SIGTERM, want 0", code)
	}
	if ms := e.Mailbox(leads, "INBOX"); len(ms) != 0 {
		t.Errorf("the leads got %d mails: the #take should have stopped the escalated reminder", len(ms))
	}
	if ms := e.Mailbox(sam, "INBOX"); slices.ContainsFunc(ms, e2etest.SubjectHas("Reminder")) {
		t.Errorf("sam, off call, got a reminder while alex was on call")
	}
	reminders := slices.DeleteFunc(e.Mailbox(alex, "INBOX"), func(m *e2etest.Mail) bool { return !e2etest.SubjectHas("Reminder")(m) })
	if len(reminders) != 1 {
		t.Errorf("alex got %d reminders, want 1", len(reminders))
	}
	d := e.Ticket(1)
	reminded := 0
	for _, ev := range d.Events {
		if ev.Kind == "reminded" {
			reminded++
		}
	}
	if reminded != 1 {
		t.Errorf("%d reminded events on #1, want 1", reminded)
	}
	for _, m := range d.Outbox {
		if m.Kind == store.KindReminder && m.State != store.OutboxSent {
			t.Errorf("reminder %d is %s: %s", m.ID, m.State, m.LastError)
		}
	}
	// tickets list shows the due time of the resolve target now.
	out := e.Run("tickets", "list")
	if !strings.Contains(out, "DUE") || strings.Contains(out, "OVERDUE") {
		t.Errorf("tickets list:\n%s", out)
	}
}
