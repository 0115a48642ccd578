// Package t05_follow_up_and_greeting proves, end to end through the
// built binary, a real Postfix and a real Dovecot, that people can work
// from the mails as their clients write them (issue 20): a hospital's
// reply to its acknowledgement reaches the triager with the new words
// and indicators and is acknowledged, threaded; the triager's answer
// with "Hi team," above its commands runs them, and the confirmation is
// in the thread of the triager's notice.
package t05_follow_up_and_greeting

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	reporter = "soc@hospital-a.example"
	triager  = "alex@volunteers.example"
	badURL   = "http://staff-login.payroll-update.com/verify"
	newURL   = "http://cdn.payroll-update.com/k.js"
)

func TestFollowUpAndGreeting(t *testing.T) {
	e := e2etest.Start(t, reporter, "cert@cert-fr.example")
	if out := e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv")); !strings.Contains(out, "3 added") {
		t.Fatalf("contacts import: %s", out)
	}
	gw := e.Serve()
	report := e2etest.Compose{
		From: "Hospital A SOC <" + reporter + ">", To: e2etest.Address, Subject: "Phishing against our nurses",
		MessageID: "<report-1.t05@hospital-a.example>",
		Body:      "Hello,\n\nour nurses received mails linking to " + badURL + "\nTwo agents clicked.\n\nHospital A SOC\n",
	}
	e.Send(reporter, []string{e2etest.Address}, report.Bytes())
	ack := e.WaitMail(reporter, "INBOX", "the acknowledgement", 30*time.Second, e2etest.SubjectHas("[League #1]", "Received"))
	notice := e.WaitMail(triager, "INBOX", "the triager's notice", 20*time.Second, e2etest.SubjectHas("[League #1]", "New report"))
	t.Run("notice carries the reporter's words", func(t *testing.T) {
		if !strings.Contains(notice.Text, "Two agents clicked.") || !strings.Contains(notice.Text, "staff-login[.]payroll-update[.]com") {
			t.Errorf("notice:\n%s", notice.Text)
		}
	})

	// The hospital answers its acknowledgement, as a mail client does.
	follow := e2etest.Compose{
		From: "Hospital A SOC <" + reporter + ">", To: ack.Addresses("Reply-To")[0], Subject: "Re: " + ack.Header("Subject"),
		MessageID: "<follow-1.t05@hospital-a.example>", InReplyTo: ack.Header("Message-ID"), References: []string{ack.Header("Message-ID")},
		Body: "A third workstation contacted the site, and this one too: " + newURL + "\n\n" +
			"On Monday, the League wrote:\n> thank you for your report\n",
	}
	e.Send(reporter, ack.Addresses("Reply-To"), follow.Bytes())
	update := e.WaitMail(triager, "INBOX", "the triager's update on the follow-up", 30*time.Second, e2etest.SubjectHas("[League #1]", "Follow-up"))
	added := e.WaitMail(reporter, "INBOX", "the acknowledgement of the addition", 30*time.Second, e2etest.SubjectHas("[League #1]", "Added"))
	t.Run("follow-up reaches the triager", func(t *testing.T) {
		for _, want := range []string{"A third workstation contacted the site", "cdn[.]payroll-update[.]com"} {
			if !strings.Contains(update.Text, want) {
				t.Errorf("update lacks %q:\n%s", want, update.Text)
			}
		}
		if strings.Contains(update.Text, "payroll-update.com") {
			t.Errorf("update has a live indicator:\n%s", update.Text)
		}
		if update.Header("In-Reply-To") != notice.Header("Message-ID") {
			t.Errorf("update In-Reply-To %q, want the notice %q", update.Header("In-Reply-To"), notice.Header("Message-ID"))
		}
	})
	t.Run("addition acknowledged, threaded", func(t *testing.T) {
		if added.Header("In-Reply-To") != follow.MessageID || !strings.Contains(added.Header("References"), ack.Header("Message-ID")) {
			t.Errorf("In-Reply-To %q, References %q", added.Header("In-Reply-To"), added.Header("References"))
		}
		if !strings.Contains(added.Text, "cdn[.]payroll-update[.]com") {
			t.Errorf("addition acknowledgement:\n%s", added.Text)
		}
	})

	// The triager answers the update with a greeting above the commands,
	// as Gmail and Outlook users write.
	rt := update.Addresses("Reply-To")
	cmd := e2etest.Compose{
		From: "Alex <" + triager + ">", To: rt[0], Subject: "Re: " + update.Header("Subject"),
		MessageID: "<cmd-1.t05@volunteers.example>", InReplyTo: update.Header("Message-ID"), References: []string{update.Header("Message-ID")},
		Body: "Hi team,\n\n#severity high\n#tlp green\n\nTwo agents clicked, so high.\n\nOn Monday, the League wrote:\n> #close\n",
	}
	e.Send(triager, rt, cmd.Bytes())
	done := e.WaitMail(triager, "INBOX", "the confirmation", 30*time.Second, e2etest.SubjectHas("[League #1]", "Done"))
	t.Run("greeting-first commands run", func(t *testing.T) {
		for _, want := range []string{"#severity high", "#tlp green"} {
			if !strings.Contains(done.Text, want) {
				t.Errorf("confirmation lacks %q:\n%s", want, done.Text)
			}
		}
		refs := strings.Fields(done.Header("References"))
		if len(refs) == 0 || refs[0] != notice.Header("Message-ID") || !slices.Contains(refs, cmd.MessageID) {
			t.Errorf("confirmation References %q, want the notice first and the triager's mail", refs)
		}
	})
	if code, _ := gw.Stop(10 * time.Second); code != 0 {
		t.Errorf("serve exited with status %d", code)
	}
	tk := e.Ticket(1).Ticket
	if tk.Severity != "high" || tk.TLP != "green" || tk.State == "closed" || tk.Flagged {
		t.Errorf("ticket: severity %q, TLP %q, state %s, flagged %v", tk.Severity, tk.TLP, tk.State, tk.Flagged)
	}
}
