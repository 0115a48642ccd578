// Package t04_strangers_speak_for_no_one proves, through the built
// binary, a real Postfix and a real Dovecot, that nothing a stranger, a
// forged sender or a stolen reply token sends is verified, relayed,
// acknowledged or run (DESIGN.md invariant 7): a stranger's reply on a
// ticket stays pending evidence and leaves neither in the escalation nor
// in the feeds; a report from a forged From is ticketed and flagged but
// never acknowledged; the triager's reply token, stolen, runs nothing when
// our MX says the From failed, and cannot reach another ticket's reporter
// with #merge. The real triager's bare #verify and #escalate then send the
// CERT only the league's word.
package t04_strangers_speak_for_no_one

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
	victim   = "soc@hospital-b.example" // whose address the forger writes
	stranger = "mallory@rival.example"
	triager  = "alex@volunteers.example"
	certFR   = "cert@cert-fr.example"
	badURL   = "http://staff-login.payroll-update.com/verify"
	o365     = "https://login.microsoftonline.com/common"
)

// mx prepends our MX's verdict, as OpenDKIM and OpenDMARC write it.
func mx(verdict string, m e2etest.Compose) []byte {
	return append([]byte("Authentication-Results: mx.league.example; "+verdict+"\r\n"), m.Bytes()...)
}

func pass(domain string) string {
	return "dkim=pass header.d=" + domain + "; spf=pass smtp.mailfrom=" + domain + "; dmarc=pass header.from=" + domain
}

func fail(domain string) string {
	return "dkim=fail header.d=" + domain + "; spf=fail smtp.mailfrom=" + domain + "; dmarc=fail header.from=" + domain
}

func TestStrangersSpeakForNoOne(t *testing.T) {
	began := time.Now()
	e := e2etest.Start(t, reporter, victim, stranger, certFR)
	if out := e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv")); !strings.Contains(out, "4 added") {
		t.Fatalf("contacts import: %s", out)
	}
	gw := e.Serve()

	// A real report, authenticated by our MX.
	e.Send(reporter, []string{e2etest.Address}, mx(pass("hospital-a.example"), e2etest.Compose{
		From: "Hospital A SOC <" + reporter + ">", To: e2etest.Address, Subject: "Phishing against our nurses",
		MessageID: "<r1.t04@hospital-a.example>", Body: "Our nurses got mails linking to " + badURL + "\n"}))
	e.WaitMail(reporter, "INBOX", "the acknowledgement", 30*time.Second, e2etest.SubjectHas("[League #1]", "Received"))
	notice := e.WaitMail(triager, "INBOX", "the triager's notice", 20*time.Second, e2etest.SubjectHas("[League #1]", "New report"))
	token := notice.Addresses("Reply-To")
	if len(token) != 1 || !strings.HasPrefix(token[0], "report+t1-") {
		t.Fatalf("notice Reply-To %q", token)
	}

	// 1. A stranger adds Office 365's login page to ticket 1.
	e.Send(stranger, []string{e2etest.Address}, mx(pass("rival.example"), e2etest.Compose{
		From: "Mallory <" + stranger + ">", To: e2etest.Address, Subject: "Re: [League #1] Phishing against our nurses",
		MessageID: "<s1.t04@rival.example>", Body: "Also block " + o365 + "\n"}))
	e2etest.WaitFor(t, 30*time.Second, "the stranger's reply on #1", func() bool {
		return slices.ContainsFunc(e.Ticket(1).Indicators, func(x store.TicketIndicator) bool { return x.Value == o365 })
	})

	// 2. A forged From: the victim's hospital, which our MX says failed.
	e.Send(stranger, []string{e2etest.Address}, mx(fail("hospital-b.example"), e2etest.Compose{
		From: "Hospital B <" + victim + ">", To: e2etest.Address,
		Subject:   "Fwd: verify your account at https://cheap-pills.example/buy BUY NOW",
		MessageID: "<f1.t04@rival.example>", Body: "https://cheap-pills.example/buy\n"}))
	e2etest.WaitFor(t, 30*time.Second, "the forged report as #2", func() bool { return len(e.Tickets()) == 2 })

	// 3. The stolen token, with a From our MX says failed: nothing runs.
	e.Send(stranger, token, mx(fail("volunteers.example"), e2etest.Compose{
		From: "Alex <" + triager + ">", To: token[0], Subject: "Re: [League #1] Phishing against our nurses",
		MessageID: "<t1.t04@rival.example>", Body: "#verify\n#tlp clear\n#escalate CERT-FR\n"}))
	e.WaitMail(triager, "INBOX", "the update on commands not run", 30*time.Second, e2etest.SubjectHas("[League #1]", "Commands not run"))

	// 4. The stolen token, From unauthenticated (no DKIM, no SPF): #merge
	// into #2, then #reply, would mail #2's reporter from the league.
	e.Send(stranger, token, mx("dkim=none; spf=none smtp.mailfrom=volunteers.example", e2etest.Compose{
		From: "Alex <" + triager + ">", To: token[0], Subject: "Re: [League #1] Phishing against our nurses",
		MessageID: "<t2.t04@rival.example>", Body: "#merge 2\n#reply\nYour mailbox is full: log in at https://cheap-pills.example/buy\n"}))
	errMail := e.WaitMail(triager, "INBOX", "the command error", 30*time.Second, e2etest.SubjectHas("[League #1]", "Not done"))
	if !strings.Contains(errMail.Text, "authority on #2") {
		t.Errorf("command error:\n%s", errMail.Text)
	}

	// 5. The real triager, through the reply address of their notice.
	e.Send(triager, token, e2etest.Compose{
		From: "Alex <" + triager + ">", To: token[0], Subject: "Re: " + notice.Header("Subject"),
		MessageID: "<c1.t04@volunteers.example>", InReplyTo: notice.Header("Message-ID"),
		Body: "#verify\n#escalate\n\nConfirmed.\n"}.Bytes())
	esc := e.WaitMail(certFR, "INBOX", "the escalation", 30*time.Second, e2etest.SubjectHas("[League #1]", "Escalation"))
	e.WaitMail(triager, "INBOX", "the confirmation", 20*time.Second, e2etest.SubjectHas("[League #1]", "Done"))
	if code, _ := gw.Stop(10 * time.Second); code != 0 {
		t.Errorf("serve exited with status %d", code)
	}

	t.Run("the escalation carries only the league's word", func(t *testing.T) {
		all := esc.Text
		for _, a := range esc.Attachments {
			all += string(a.Content)
		}
		if !strings.Contains(all, "payroll-update") || strings.Contains(all, "microsoftonline") || strings.Contains(all, "cheap-pills") {
			t.Errorf("escalation:\n%s", all)
		}
	})
	t.Run("nothing answers the forged sender or the stranger", func(t *testing.T) {
		for _, who := range []string{victim, stranger} {
			if ms := e.Mailbox(who, "INBOX"); len(ms) != 0 {
				t.Errorf("%s got %d mails, the first %q", who, len(ms), ms[0].Header("Subject"))
			}
		}
		if ms := e.Mailbox(reporter, "INBOX"); len(ms) != 1 {
			t.Errorf("the reporter got %d mails, want only the acknowledgement", len(ms))
		}
	})
	t.Run("tickets", func(t *testing.T) {
		one := e.Ticket(1)
		for _, x := range one.Indicators {
			switch {
			case x.Value == o365 && (!x.Pending || x.Verified):
				t.Errorf("the stranger's %s: pending %v verified %v", x.Value, x.Pending, x.Verified)
			case strings.Contains(x.Value, "payroll-update") && !x.Verified:
				t.Errorf("the reporter's %s is not verified", x.Value)
			}
		}
		if one.Ticket.TLP == "clear" || one.Ticket.State != store.StateEscalated {
			t.Errorf("#1: TLP %s, state %s", one.Ticket.TLP, one.Ticket.State)
		}
		two := e.Ticket(2)
		if !two.Ticket.Flagged || two.Ticket.State != store.StateNew {
			t.Errorf("#2 (forged): flagged %v, state %s", two.Ticket.Flagged, two.Ticket.State)
		}
		for _, m := range two.Outbox {
			if m.Kind == store.KindAck && m.State != store.OutboxSuppressed {
				t.Errorf("the forged report's ack is %s", m.State)
			}
		}
	})
	t.Run("the feeds", func(t *testing.T) {
		out := e.Run("export", "--format", "csv", "--out", "-", "--tlp-max", "amber")
		if !strings.Contains(out, "payroll-update") || strings.Contains(out, "microsoftonline") || strings.Contains(out, "cheap-pills") {
			t.Errorf("export:\n%s", out)
		}
	})
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}
