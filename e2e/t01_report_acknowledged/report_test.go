// Package t01_report_acknowledged proves the gateway's first promise end
// to end, with the built binary and its config file: a report mailed to
// the league, through Postfix into Dovecot, is read over IMAP, becomes
// ticket #1, and is acknowledged in the reporter's own mailbox within
// seconds; /healthz and /metrics say so; SIGTERM stops the gateway at
// once with status 0 and nothing lost.
package t01_report_acknowledged

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const reporter = "soc@hospital-a.example"

var report = e2etest.Compose{
	From:      "Hospital A SOC <" + reporter + ">",
	To:        e2etest.Address,
	Subject:   "Phishing against our nurses",
	MessageID: "<report-1.t01@hospital-a.example>",
	Body: `Hello,

our nurses received mails linking to http://staff-login.payroll-update.com/verify
sent from the server 45.155.205.99. The sender was hr@payroll-update.com.

Regards,
Hospital A SOC
`,
}

func TestReportAcknowledged(t *testing.T) {
	began := time.Now()
	e := e2etest.Start(t, reporter)
	gw := e.Serve()
	t.Logf("servers and gateway up in %v", time.Since(began).Round(time.Millisecond))

	sent := time.Now()
	e.Send(reporter, []string{e2etest.Address}, report.Bytes())
	ack := e.WaitMail(reporter, "INBOX", "the acknowledgement", 30*time.Second, e2etest.SubjectHas("[League #1]"))
	t.Logf("acknowledgement in the reporter's mailbox %v after the report was sent", time.Since(sent).Round(time.Millisecond))

	t.Run("acknowledgement", func(t *testing.T) {
		if got := ack.Header("Subject"); !strings.Contains(got, report.Subject) {
			t.Errorf("Subject = %q, want the tag and the report's subject %q", got, report.Subject)
		}
		if got := ack.Header("Auto-Submitted"); got != "auto-replied" {
			t.Errorf("Auto-Submitted = %q, want auto-replied (RFC 3834)", got)
		}
		if got := ack.Header("In-Reply-To"); got != report.MessageID {
			t.Errorf("In-Reply-To = %q, want the report's Message-ID %q", got, report.MessageID)
		}
		if got := ack.Addresses("From"); !slices.Equal(got, []string{e2etest.Address}) {
			t.Errorf("From = %q, want %s", got, e2etest.Address)
		}
		// The reply address carries the reporter's token of ticket 1.
		if rt := ack.Addresses("Reply-To"); len(rt) != 1 || !strings.HasPrefix(rt[0], "report+t1-") || !strings.HasSuffix(rt[0], "@league.example") {
			t.Errorf("Reply-To = %q, want report+t1-<mac>@league.example", rt)
		}
		for _, want := range []string{
			"hxxp://staff-login[.]payroll-update[.]com/verify",
			"45.155.205[.]99",
			"hr[@]payroll-update[.]com",
			"payroll-update[.]com",
		} {
			if !strings.Contains(ack.Text, want) {
				t.Errorf("body lacks the defanged %q:\n%s", want, ack.Text)
			}
		}
		// No live indicator: a mail client would make links of them.
		for _, live := range []string{"http://staff-login", "payroll-update.com", "45.155.205.99"} {
			if strings.Contains(ack.Text, live) {
				t.Errorf("body holds %q undefanged:\n%s", live, ack.Text)
			}
		}
	})

	t.Run("triager notice", func(t *testing.T) {
		n := e.WaitMail("alex@volunteers.example", "INBOX", "the triager's notice", 20*time.Second, e2etest.SubjectHas("[League #1]", "New report"))
		// A notice answers no mail: notify marks it auto-generated (RFC
		// 3834 section 5), which stops auto-responders just as well.
		if got := n.Header("Auto-Submitted"); got == "" || got == "no" {
			t.Errorf("notice: Auto-Submitted = %q, want auto-generated or auto-replied", got)
		}
	})

	t.Run("healthz", func(t *testing.T) {
		var (
			code int
			h    e2etest.Health
			body string
		)
		// The IMAP session may be between two IDLEs; a connected mailbox
		// and a good last SMTP attempt are what must hold.
		e2etest.WaitFor(t, 10*time.Second, "/healthz 200 with imap connected and smtp ok", func() bool {
			code, h, body = gw.Healthz()
			return code == 200 && h.Status == "ok" && len(h.IMAP) == 1 && h.IMAP[0].Connected && h.SMTP.LastResult == "ok"
		}, func() string { return body })
		if h.Store != "ok" {
			t.Errorf("/healthz store = %q, want ok", h.Store)
		}
	})

	t.Run("metrics", func(t *testing.T) {
		ms := gw.Metrics()
		for _, c := range []struct {
			name   string
			labels []string
			min    float64
			exact  bool
		}{
			{"leaguemail_mails_in_total", []string{"result", "taken"}, 1, false},
			{"leaguemail_notify_sent_total", []string{"kind", "ack"}, 1, false},
			{"leaguemail_notify_sent_total", nil, 2, false}, // the ack and the triager's notice
			{"leaguemail_tickets", nil, 1, true},
		} {
			v, ok := e2etest.Value(ms, c.name, c.labels...)
			switch {
			case !ok:
				t.Errorf("/metrics has no %s%v", c.name, c.labels)
			case c.exact && v != c.min:
				t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.min)
			case v < c.min:
				t.Errorf("%s%v = %v, want at least %v", c.name, c.labels, v, c.min)
			}
		}
		if v, _ := e2etest.Value(ms, "leaguemail_mails_in_total", "result", "error"); v != 0 {
			t.Errorf(`leaguemail_mails_in_total{result="error"} = %v, want 0`, v)
		}
	})

	// The feeds are served read-only, with an ETag a consumer polls with.
	t.Run("feeds", func(t *testing.T) {
		var etag string
		e2etest.WaitFor(t, 10*time.Second, "/feeds/feeds.csv with an ETag", func() bool {
			resp, err := http.Get(gw.URL + "/feeds/feeds.csv")
			if err != nil {
				return false
			}
			resp.Body.Close()
			etag = resp.Header.Get("ETag")
			return resp.StatusCode == http.StatusOK && etag != "" && resp.Header.Get("Last-Modified") != ""
		})
		req, _ := http.NewRequest("GET", gw.URL+"/feeds/feeds.csv", nil)
		req.Header.Set("If-None-Match", etag)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("a poll with the same ETag: %d, want 304", resp.StatusCode)
		}
		for _, p := range []string{"/feeds/feeds.stix.json", "/feeds/misp/manifest.json"} {
			resp, err := http.Get(gw.URL + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d", p, resp.StatusCode)
			}
		}
	})

	// systemctl reload sends SIGHUP: the templates are read again and
	// the gateway goes on.
	t.Run("SIGHUP", func(t *testing.T) {
		gw.Signal(syscall.SIGHUP)
		gw.WaitLog("SIGHUP: templates reloaded", 10*time.Second)
		if code, _, body := gw.Healthz(); code != 200 {
			t.Errorf("/healthz after SIGHUP: %d\n%s", code, body)
		}
	})

	// The report leaves INBOX for Processed once its ticket is committed.
	e2etest.WaitFor(t, 10*time.Second, "the report in Processed", func() bool {
		return e.Dovecot.Count(t, e2etest.Address, "Processed") == 1
	})

	code, took := gw.Stop(10 * time.Second)
	t.Logf("SIGTERM to exit in %v", took.Round(time.Millisecond))
	if code != 0 {
		t.Errorf("serve exited with status %d after SIGTERM, want 0", code)
	}
	if took > 5*time.Second {
		t.Errorf("serve took %v to stop after SIGTERM, want a few seconds at most", took)
	}
	if !strings.Contains(gw.Log(), "stopped cleanly") {
		t.Errorf("serve's log does not say it stopped cleanly")
	}

	// Nothing lost: the report was moved, not dropped or left behind, and
	// the store holds its ticket and the acknowledgement as sent.
	processed := e.Mailbox(e2etest.Address, "Processed")
	if len(processed) != 1 || processed[0].Header("Message-ID") != report.MessageID {
		t.Errorf("Processed holds %d mails, want the report %s", len(processed), report.MessageID)
	}
	if n := e.Dovecot.Count(t, e2etest.Address, "INBOX"); n != 0 {
		t.Errorf("INBOX of %s holds %d mails after the stop, want 0", e2etest.Address, n)
	}
	if n := len(e.Mailbox(reporter, "INBOX")); n != 1 {
		t.Errorf("the reporter got %d mails, want one acknowledgement", n)
	}
	ts := e.Tickets()
	if len(ts) != 1 {
		t.Fatalf("tickets list: %d tickets, want 1: %+v", len(ts), ts)
	}
	if tk := ts[0]; tk.Number != 1 || tk.Reporter != reporter || tk.State != store.StateNew || tk.Subject != report.Subject || tk.Mails != 1 {
		t.Errorf("ticket = %+v, want #1 new from %s with the report's subject and one mail", tk.Ticket, reporter)
	}
	d := e.Ticket(1)
	var ackRow *store.OutboxMail
	for i, m := range d.Outbox {
		if m.Kind == store.KindAck {
			ackRow = &d.Outbox[i]
		}
	}
	if ackRow == nil || ackRow.State != store.OutboxSent || ackRow.MessageID != ack.Header("Message-ID") {
		t.Errorf("outbox of #1: ack %+v, want sent with the Message-ID %s of the mail received", ackRow, ack.Header("Message-ID"))
	}
	t.Logf("scenario took %v", time.Since(began).Round(time.Millisecond))
}
