// Package t06_hospitals_hear_back proves issue 15 end to end through the
// built binary, a real Postfix and a real Dovecot: a hospital asks to join
// by mail and a triager approves it; an area alert reaches it with a
// working List-Unsubscribe (the mailto and, after it came back, the
// one-click POST); once it left it gets no further alert; and a reporter
// gets the outcome of #close malicious with the triager's words and
// nothing of what they quoted.
package t06_hospitals_hear_back

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	reporter = "soc@hospital-a.example"
	joiner   = "secu@hospital-b.example"
	triager  = "alex@volunteers.example"
	badURL   = "http://staff-login.payroll-update.com/verify"
)

// reply is the triager's answer to a mail of theirs: to its Reply-To (the
// reply token is their authority), with commands, and the mail quoted
// below as Thunderbird does.
func reply(of *e2etest.Mail, msgID, body string) (e2etest.Compose, []string) {
	to := of.Addresses("Reply-To")
	lines := strings.Split(strings.TrimRight(of.Text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return e2etest.Compose{
		From: "Alex <" + triager + ">", To: strings.Join(to, ", "), Subject: "Re: " + of.Header("Subject"),
		MessageID: msgID, InReplyTo: of.Header("Message-ID"), References: []string{of.Header("Message-ID")},
		Body: body + "\nOn Monday, the League wrote:\n" + strings.Join(lines, "\n") + "\n",
	}, to
}

// report sends a report from Hospital A and returns the triager's notice.
func report(e *e2etest.Env, n int, subject, body string) *e2etest.Mail {
	e.T.Helper()
	r := e2etest.Compose{From: "Hospital A SOC <" + reporter + ">", To: e2etest.Address, Subject: subject,
		MessageID: "<report-" + subject[:4] + ".t06@hospital-a.example>", Body: body}
	e.Send(reporter, []string{e2etest.Address}, r.Bytes())
	tag := "[League #" + string(rune('0'+n)) + "]"
	e.WaitMail(reporter, "INBOX", "the acknowledgement of "+tag, 30*time.Second, e2etest.SubjectHas(tag, "Received"))
	return e.WaitMail(triager, "INBOX", "the notice of "+tag, 20*time.Second, e2etest.SubjectHas(tag, "New report"))
}

func alertsTo(e *e2etest.Env, who string) []*e2etest.Mail {
	var out []*e2etest.Mail
	for _, m := range e.Mailbox(who, "INBOX") {
		if strings.Contains(m.Header("Subject"), "Alert for") {
			out = append(out, m)
		}
	}
	return out
}

var listURIs = regexp.MustCompile(`<([^>]+)>`)

func TestHospitalsHearBack(t *testing.T) {
	began := time.Now()
	e := e2etest.Start(t, reporter, joiner)
	if out := e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv")); !strings.Contains(out, "2 added") {
		t.Fatalf("contacts import: %s", out)
	}
	gw := e.Serve()

	// Hospital B asks to join, at the plus address join.
	join := e2etest.Compose{From: "Dr B. Martin <" + joiner + ">", To: "report+join@league.example", Subject: "Joining the league",
		MessageID: "<join-1.t06@hospital-b.example>",
		Body:      "Hello,\nwe are the IT security team of Hospital B in Toulouse and would like to receive your alerts.\n\nB. Martin\n"}
	e.Send(joiner, []string{"report+join@league.example"}, join.Bytes())
	notice := e.WaitMail(triager, "INBOX", "the membership notice", 30*time.Second, e2etest.SubjectHas("[League #1]", "Membership request"))
	for _, want := range []string{joiner, "hospital-b.example", "#approve COUNTRY", "Hospital B in Toulouse"} {
		if !strings.Contains(notice.Text, want) {
			t.Errorf("membership notice lacks %q:\n%s", want, notice.Text)
		}
	}
	approve, to := reply(notice, "<approve-1.t06@volunteers.example>", `#approve FR Occitanie "Hospital B"`+"\nWelcome, and thank you for joining.\n")
	e.Send(triager, to, approve.Bytes())
	welcome := e.WaitMail(joiner, "INBOX", "the welcome", 30*time.Second, e2etest.SubjectHas("[League #1]", "Welcome"))
	if welcome.Header("In-Reply-To") != join.MessageID || !strings.Contains(welcome.Text, "Welcome, and thank you for joining.") ||
		!strings.Contains(welcome.Text, "report+unsubscribe-u") || strings.Contains(welcome.Text, "Hospital B in Toulouse") {
		t.Errorf("welcome (In-Reply-To %q):\n%s", welcome.Header("In-Reply-To"), welcome.Text)
	}
	t.Logf("joined %v after start", time.Since(began).Round(time.Millisecond))

	// A report from Hospital A, verified and alerted to its area.
	n2 := report(e, 2, "Phishing against our nurses", "Our nurses got mails linking to "+badURL+"\n")
	alert2, to := reply(n2, "<alert-2.t06@volunteers.example>", "#verify\n#alert\n")
	e.Send(triager, to, alert2.Bytes())
	alert := e.WaitMail(joiner, "INBOX", "the area alert", 30*time.Second, e2etest.SubjectHas("[League #2]", "Alert for"))
	if got := alert.Header("List-Id"); got != "<alerts.league.example>" {
		t.Errorf("List-Id %q", got)
	}
	if got := alert.Header("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", got)
	}
	var mailto, oneClick string
	for _, m := range listURIs.FindAllStringSubmatch(alert.Header("List-Unsubscribe"), -1) {
		switch {
		case strings.HasPrefix(m[1], "mailto:"):
			mailto = strings.TrimPrefix(m[1], "mailto:")
		case strings.HasPrefix(m[1], "https://alerts.league.example/unsubscribe/"):
			oneClick = m[1]
		}
	}
	if mailto == "" || oneClick == "" {
		t.Fatalf("List-Unsubscribe %q", alert.Header("List-Unsubscribe"))
	}
	if !strings.Contains(alert.Text, "payroll-update[.]com") || strings.Contains(alert.Text, badURL) {
		t.Errorf("alert text:\n%s", alert.Text)
	}

	// Leaving by the mailto, as a mail client's unsubscribe button does.
	addr, query, _ := strings.Cut(mailto, "?")
	subject, _ := url.ParseQuery(query)
	leave := e2etest.Compose{From: joiner, To: addr, Subject: subject.Get("subject"), MessageID: "<leave-1.t06@hospital-b.example>",
		Body: "This message was automatically generated.\n"}
	e.Send(joiner, []string{addr}, leave.Bytes())
	e.WaitMail(joiner, "INBOX", "the confirmation of leaving", 30*time.Second, e2etest.SubjectHas("You left the area alerts"))
	if !unsubscribed(t, e) {
		t.Fatal("Hospital B is still subscribed after its unsubscribe mail")
	}

	// Back by mail, then out by the one-click POST (RFC 8058 section 3.2),
	// sent where the TLS front end would forward it.
	back := e2etest.Compose{From: joiner, To: "report+subscribe@league.example", Subject: "subscribe", MessageID: "<back-1.t06@hospital-b.example>",
		Body: "We want the alerts again.\n"}
	e.Send(joiner, []string{"report+subscribe@league.example"}, back.Bytes())
	e.WaitMail(joiner, "INBOX", "the confirmation of coming back", 30*time.Second, e2etest.SubjectHas("area alerts again"))
	if unsubscribed(t, e) {
		t.Fatal("Hospital B is not back after its subscribe mail")
	}
	local := "http://" + e.Data.HTTPListen + strings.TrimPrefix(oneClick, "https://alerts.league.example")
	if resp, err := http.Get(local); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", local, resp, err)
	} else if resp.Body.Close(); unsubscribed(t, e) {
		t.Fatal("a GET of the one-click link unsubscribed")
	}
	resp, err := http.Post(local, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click POST: %v %v", resp, err)
	}
	resp.Body.Close()
	if !unsubscribed(t, e) {
		t.Fatal("Hospital B is still subscribed after the one-click POST")
	}

	// Another attack in the area: Hospital B is not told.
	n3 := report(e, 3, "More phishing", "Again: http://hr-portal.payroll-update.com/login\n")
	alert3, to := reply(n3, "<alert-3.t06@volunteers.example>", "#verify\n#alert\n")
	e.Send(triager, to, alert3.Bytes())
	refused := e.WaitMail(triager, "INBOX", "the refusal of an alert to no one", 30*time.Second, e2etest.SubjectHas("[League #3]", "Not done"))
	if !strings.Contains(refused.Text, "subscribed") {
		t.Errorf("refusal:\n%s", refused.Text)
	}

	// The outcome of #2 reaches its reporter, with the triager's words
	// and nothing of the quote below them.
	closeMail, to := reply(n2, "<close-2.t06@volunteers.example>",
		"#close malicious\nThe same page hit three hospitals of the region; it is blocked at the national resolvers.\n")
	e.Send(triager, to, closeMail.Bytes())
	outcome := e.WaitMail(reporter, "INBOX", "the outcome", 30*time.Second, e2etest.SubjectHas("[League #2]", "Outcome"))
	for _, want := range []string{"It was an attack", "The same page hit three hospitals", "hxxp://staff-login[.]payroll-update[.]com/verify",
		"1 institution of the area warned", "reset that password"} {
		if !strings.Contains(outcome.Text, want) {
			t.Errorf("outcome lacks %q:\n%s", want, outcome.Text)
		}
	}
	for _, never := range []string{badURL, "On Monday, the League wrote", "New report", triager} {
		if strings.Contains(string(outcome.Raw), never) {
			t.Errorf("outcome holds %q:\n%s", never, outcome.Raw)
		}
	}
	if outcome.Header("In-Reply-To") != "<report-Phis.t06@hospital-a.example>" {
		t.Errorf("outcome In-Reply-To %q", outcome.Header("In-Reply-To"))
	}

	if code, _ := gw.Stop(10 * time.Second); code != 0 {
		t.Errorf("serve exited with status %d after SIGTERM, want 0", code)
	}
	if n := len(alertsTo(e, joiner)); n != 1 {
		t.Errorf("Hospital B got %d alerts, want the one before it left", n)
	}
	if tk := e.Ticket(1).Ticket; tk.State != store.StateClosed {
		t.Errorf("membership ticket %s", tk.State)
	}
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}

// unsubscribed reads Hospital B's subscription with `contacts list`.
func unsubscribed(t *testing.T, e *e2etest.Env) bool {
	t.Helper()
	var cs []store.Contact
	if err := json.Unmarshal([]byte(e.Run("contacts", "list", "--kind", "institution", "--json")), &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Email == joiner {
			return c.Unsubscribed
		}
	}
	t.Fatalf("Hospital B is no contact: %+v", cs)
	return false
}
