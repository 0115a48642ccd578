// Package t02_triager_escalates proves that a ticket can be worked by
// mail alone, end to end through the built binary, a real Postfix and a
// real Dovecot: a report comes in and is acknowledged, the triager
// replies to their notice with #verify and #escalate, the escalation
// reaches the national CERT of the reporting institution's country with
// the indicators attached as CSV and STIX, and the CERT's reply lands on
// the ticket. A triager's commands without the reply token do not run.
package t02_triager_escalates

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
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
	triager  = "alex@volunteers.example"
	certFR   = "cert@cert-fr.example"
	certDE   = "cert@cert-de.example"
	badURL   = "http://staff-login.payroll-update.com/verify"
)

var report = e2etest.Compose{
	From:      "Hospital A SOC <" + reporter + ">",
	To:        e2etest.Address,
	Subject:   "Phishing against our nurses",
	MessageID: "<report-1.t02@hospital-a.example>",
	Body: `Hello,

our nurses received mails linking to ` + badURL + `
sent from the server 45.155.205.99. The sender was hr@payroll-update.com.

Regards,
Hospital A SOC
`,
}

// start starts the servers, imports the contacts and the gateway, then
// sends the report and waits for the acknowledgement and the triager's
// notice, which it returns.
func start(t *testing.T) (*e2etest.Env, *e2etest.Gateway, *e2etest.Mail) {
	t.Helper()
	e := e2etest.Start(t, reporter, certFR, certDE)
	// Before serve: the institution is matched when the ticket opens.
	out := e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv"))
	if !strings.Contains(out, "4 added") {
		t.Fatalf("contacts import: %s", out)
	}
	gw := e.Serve()
	e.Send(reporter, []string{e2etest.Address}, report.Bytes())
	e.WaitMail(reporter, "INBOX", "the acknowledgement", 30*time.Second, e2etest.SubjectHas("[League #1]", "Received"))
	notice := e.WaitMail(triager, "INBOX", "the triager's notice", 20*time.Second, e2etest.SubjectHas("[League #1]", "New report"))
	return e, gw, notice
}

// reply is the triager's answer to a mail of theirs, with commands.
func reply(to string, of *e2etest.Mail, msgID, body string) e2etest.Compose {
	return e2etest.Compose{
		From:       "Alex <" + triager + ">",
		To:         to,
		Subject:    "Re: " + of.Header("Subject"),
		MessageID:  msgID,
		InReplyTo:  of.Header("Message-ID"),
		References: []string{of.Header("Message-ID")},
		Body:       body + "\n" + quote(of.Text),
	}
}

func quote(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return "On Monday, the League wrote:\n" + strings.Join(lines, "\n") + "\n"
}

const commands = `#verify
#severity high
#escalate

Looks real: payroll-update.com was registered two days ago.
`

func TestTriagerEscalates(t *testing.T) {
	began := time.Now()
	e, gw, notice := start(t)
	t.Logf("report acknowledged and triager told %v after start", time.Since(began).Round(time.Millisecond))

	// The triager answers their notice where it asks to be answered: its
	// Reply-To carries a token of ticket 1 issued to them, which is their
	// authority (no DKIM needed). Postfix takes the plus-address for the
	// contact mailbox.
	replyTo := notice.Addresses("Reply-To")
	if len(replyTo) != 1 || !strings.HasPrefix(replyTo[0], "report+t1-") {
		t.Fatalf("the notice's Reply-To = %q, want report+t1-<mac>@league.example", replyTo)
	}
	cmdMail := reply(replyTo[0], notice, "<cmd-1.t02@volunteers.example>", commands)
	e.Send(triager, replyTo, cmdMail.Bytes())

	esc := e.WaitMail(certFR, "INBOX", "the escalation", 30*time.Second, e2etest.SubjectHas("[League #1]", "Escalation"))
	t.Logf("escalation at CERT-FR %v after start", time.Since(began).Round(time.Millisecond))
	confirm := e.WaitMail(triager, "INBOX", "the confirmation of the commands", 20*time.Second, e2etest.SubjectHas("[League #1]", "Done"))

	t.Run("confirmation", func(t *testing.T) {
		if got := confirm.Header("In-Reply-To"); got != cmdMail.MessageID {
			t.Errorf("confirmation In-Reply-To = %q, want the triager's mail %s", got, cmdMail.MessageID)
		}
		for _, want := range []string{"#verify", "#escalate", "CERT-FR"} {
			if !strings.Contains(confirm.Text, want) {
				t.Errorf("confirmation lacks %q:\n%s", want, confirm.Text)
			}
		}
	})

	t.Run("escalation", func(t *testing.T) {
		checkEscalation(t, esc, cmdMail.MessageID)
	})

	// The CERT answers the escalation as a mail client does: to its
	// Reply-To, threaded to it.
	certTo := esc.Addresses("Reply-To")
	if len(certTo) != 1 || !strings.HasPrefix(certTo[0], "report+t1-") {
		t.Fatalf("the escalation's Reply-To = %q, want report+t1-<mac>@league.example", certTo)
	}
	answer := e2etest.Compose{
		From:       "CERT-FR <" + certFR + ">",
		To:         certTo[0],
		Subject:    "Re: " + esc.Header("Subject"),
		MessageID:  "<answer-1.t02@cert-fr.example>",
		InReplyTo:  esc.Header("Message-ID"),
		References: []string{esc.Header("Message-ID")},
		Body: `Thank you. We have blocked payroll-update.com at the national resolvers.
Our reference: CERT-FR-2026-INC-1234.
`,
	}
	e.Send(certFR, certTo, answer.Bytes())
	update := e.WaitMail(triager, "INBOX", "the triagers' update with the CERT's answer", 30*time.Second,
		e2etest.SubjectHas("[League #1]", "Answer to the escalation"))
	t.Run("answer relayed to the triagers", func(t *testing.T) {
		if !strings.Contains(update.Text, "CERT-FR-2026-INC-1234") {
			t.Errorf("update lacks the CERT's words:\n%s", update.Text)
		}
		if !strings.Contains(update.Text, "payroll-update[.]com") || strings.Contains(update.Text, "payroll-update.com") {
			t.Errorf("update does not defang the CERT's indicators:\n%s", update.Text)
		}
	})

	code, took := gw.Stop(10 * time.Second)
	if code != 0 {
		t.Errorf("serve exited with status %d after SIGTERM, want 0", code)
	}
	t.Logf("SIGTERM to exit in %v", took.Round(time.Millisecond))

	t.Run("ticket", func(t *testing.T) {
		d := e.Ticket(1)
		tk := d.Ticket
		if tk.State != store.StateEscalated || tk.Severity != "high" || tk.Flagged {
			t.Errorf("ticket: state %s, severity %q, flagged %v; want escalated, high, not flagged", tk.State, tk.Severity, tk.Flagged)
		}
		if tk.Institution == nil || tk.Institution.Name != "Hospital A" || tk.Institution.Country != "FR" {
			t.Errorf("ticket institution = %+v, want Hospital A (FR) from the contacts", tk.Institution)
		}
		verified := 0
		for _, x := range d.Indicators {
			if x.Verified {
				verified++
			}
		}
		if len(d.Indicators) == 0 || verified != len(d.Indicators) {
			t.Errorf("%d of %d indicators verified, want all", verified, len(d.Indicators))
		}
		// The CERT's answer is on the ticket: its mail in the
		// conversation, not flagged, and an answer event.
		var got *store.InMail
		for _, c := range d.Conversation {
			if c.In != nil && strings.Trim(c.In.MessageID, "<>") == strings.Trim(answer.MessageID, "<>") {
				got = c.In
			}
		}
		if got == nil {
			t.Fatalf("the CERT's answer %s is not in the conversation of #1", answer.MessageID)
		}
		if got.From != certFR || got.Flagged {
			t.Errorf("the CERT's answer on #1: from %s, flagged %v; want from %s, not flagged", got.From, got.Flagged, certFR)
		}
		if !hasEvent(d.Events, "answer", "CERT-FR") {
			t.Errorf("no answer event naming CERT-FR on #1: %s", eventKinds(d.Events))
		}
		// Each command records how its sender was authenticated.
		for _, ev := range d.Events {
			if ev.Kind != "command" {
				continue
			}
			var data struct{ Auth string }
			if err := json.Unmarshal(ev.Data, &data); err != nil || !strings.Contains(data.Auth, "reply token of #1 issued to "+triager) {
				t.Errorf("command event %q: auth %q, want the reply token of #1 issued to %s", ev.Detail, data.Auth, triager)
			}
		}
		if !hasEvent(d.Events, "command", "#escalate") {
			t.Errorf("no #escalate command event: %s", eventKinds(d.Events))
		}
		for _, m := range d.Outbox {
			if m.State != store.OutboxSent {
				t.Errorf("outbox %d (%s to %v) is %s: %s", m.ID, m.Kind, m.Recipients, m.State, m.LastError)
			}
		}
	})

	t.Run("routing", func(t *testing.T) {
		if n := len(e.Mailbox(certDE, "INBOX")); n != 0 {
			t.Errorf("CERT-DE got %d mails; the reporter is French, want none", n)
		}
		if n := len(e.Mailbox(certFR, "INBOX")); n != 1 {
			t.Errorf("CERT-FR got %d mails, want the escalation alone", n)
		}
	})
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}

// checkEscalation checks what the CERT receives: the ticket, defanged
// indicators in the text, the same indicators machine-readable in
// attachments that parse, and nothing of the triager.
func checkEscalation(t *testing.T, esc *e2etest.Mail, triagerMsgID string) {
	t.Helper()
	for _, want := range []string{"Dear CERT-FR", "Severity:    high", "Hospital A (FR)", "hxxp://staff-login[.]payroll-update[.]com/verify"} {
		if !strings.Contains(esc.Text, want) {
			t.Errorf("escalation text lacks %q:\n%s", want, esc.Text)
		}
	}
	if strings.Contains(esc.Text, badURL) {
		t.Errorf("escalation text holds the live URL:\n%s", esc.Text)
	}
	// Not threaded to the triager's mail; no triager's address either.
	if bytes.Contains(esc.Raw, []byte(strings.Trim(triagerMsgID, "<>"))) || bytes.Contains(esc.Raw, []byte(triager)) {
		t.Errorf("the escalation names the triager or their mail:\n%s", esc.Raw)
	}
	if got := esc.Addresses("To"); !slices.Equal(got, []string{certFR}) {
		t.Errorf("escalation To = %q, want %s", got, certFR)
	}

	atts := map[string][]byte{}
	for _, p := range esc.Attachments {
		atts[p.FileName] = p.Content
	}
	csvb, ok := atts["league-1-indicators.csv"]
	if !ok {
		t.Errorf("no indicators.csv attached (attachments: %v)", keys(atts))
	} else {
		recs, err := csv.NewReader(bytes.NewReader(csvb)).ReadAll()
		if err != nil {
			t.Errorf("indicators.csv: %v\n%s", err, csvb)
		} else if len(recs) < 2 {
			t.Errorf("indicators.csv has %d lines, want a header and rows", len(recs))
		} else {
			col := slices.Index(recs[0], "value")
			tcol := slices.Index(recs[0], "type")
			if col < 0 || tcol < 0 {
				t.Errorf("indicators.csv header %q has no type and value columns", recs[0])
			} else if !slices.ContainsFunc(recs[1:], func(r []string) bool { return r[tcol] == "url" && r[col] == badURL }) {
				t.Errorf("indicators.csv has no url row for %s:\n%s", badURL, csvb)
			}
		}
	}
	stixb, ok := atts["league-1-indicators.stix.json"]
	if !ok {
		t.Errorf("no indicators.stix.json attached (attachments: %v)", keys(atts))
		return
	}
	var bundle struct {
		Type    string `json:"type"`
		ID      string `json:"id"`
		Objects []struct {
			Type        string `json:"type"`
			ID          string `json:"id"`
			SpecVersion string `json:"spec_version"`
			Pattern     string `json:"pattern"`
			PatternType string `json:"pattern_type"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(stixb, &bundle); err != nil {
		t.Fatalf("indicators.stix.json: %v\n%s", err, stixb)
	}
	if bundle.Type != "bundle" || !strings.HasPrefix(bundle.ID, "bundle--") {
		t.Errorf("indicators.stix.json: type %q id %q, want a STIX bundle", bundle.Type, bundle.ID)
	}
	wantPattern := "[url:value = '" + badURL + "']"
	found := false
	for _, o := range bundle.Objects {
		if o.Type == "indicator" {
			if o.SpecVersion != "2.1" || o.PatternType != "stix" || !strings.HasPrefix(o.ID, "indicator--") {
				t.Errorf("STIX indicator %s: spec_version %q, pattern_type %q", o.ID, o.SpecVersion, o.PatternType)
			}
			found = found || o.Pattern == wantPattern
		}
	}
	if !found {
		t.Errorf("indicators.stix.json has no indicator with pattern %s:\n%s", wantPattern, stixb)
	}
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func hasEvent(evs []store.Event, kind, detail string) bool {
	return slices.ContainsFunc(evs, func(ev store.Event) bool {
		return ev.Kind == kind && strings.Contains(ev.Detail, detail)
	})
}

func eventKinds(evs []store.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		b.WriteString("\n  " + ev.Kind + ": " + ev.Detail)
	}
	return b.String()
}

// TestCommandsWithoutTokenDoNotRun sends the same commands from the
// triager's address straight to the contact address, threaded to the
// notice but without the reply token and without any authentication:
// anyone can write a From line, so nothing runs, the ticket is flagged,
// and the triagers are told.
func TestCommandsWithoutTokenDoNotRun(t *testing.T) {
	began := time.Now()
	e, gw, notice := start(t)

	forged := reply(e2etest.Address, notice, "<cmd-forged.t02@volunteers.example>", commands)
	e.Send(triager, []string{e2etest.Address}, forged.Bytes())

	// The gateway's answer to it, which also says it has been taken in.
	update := e.WaitMail(triager, "INBOX", "the triagers' update on commands not run", 30*time.Second,
		e2etest.SubjectHas("[League #1]", "Commands not run"))
	if !strings.Contains(update.Text, "#escalate") {
		t.Errorf("the update does not quote the commands:\n%s", update.Text)
	}
	code, _ := gw.Stop(10 * time.Second)
	if code != 0 {
		t.Errorf("serve exited with status %d after SIGTERM, want 0", code)
	}

	for _, cert := range []string{certFR, certDE} {
		if n := len(e.Mailbox(cert, "INBOX")); n != 0 {
			t.Errorf("%s got %d mails; nothing may be escalated", cert, n)
		}
	}
	if ms := e.Mailbox(triager, "INBOX"); slices.ContainsFunc(ms, e2etest.SubjectHas("Done")) {
		t.Errorf("the triager got a confirmation of commands that must not run")
	}
	d := e.Ticket(1)
	if d.Ticket.State != store.StateNew || !d.Ticket.Flagged || d.Ticket.Severity != "" {
		t.Errorf("ticket: state %s, flagged %v, severity %q; want new, flagged, no severity", d.Ticket.State, d.Ticket.Flagged, d.Ticket.Severity)
	}
	for _, x := range d.Indicators {
		if x.Verified {
			t.Errorf("indicator %s %s verified by a mail without authority", x.Type, x.Value)
		}
	}
	if hasEvent(d.Events, "command", "") || !hasEvent(d.Events, "comment", "not run") {
		t.Errorf("want the commands kept as a comment, none run: %s", eventKinds(d.Events))
	}
	for _, m := range d.Outbox {
		if m.Kind == store.KindEscalation {
			t.Errorf("an escalation was queued: %+v", m)
		}
	}
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}
