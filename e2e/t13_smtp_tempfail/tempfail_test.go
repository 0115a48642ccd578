// Package t13_smtp_tempfail proves DESIGN.md's invariant 2 against a real
// Postfix: an acknowledgement that the server puts off (451 at RCPT, then
// 421 and a closed connection) is retried with backoff and delivered
// exactly once when the server takes it; one refused for good (550) is
// not retried, and the refusal is recorded on the ticket as a
// delivery-failed event.
package t13_smtp_tempfail

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	later   = "soc+t13-later@hospital-a.example"   // answered 451, then 421, then taken
	refused = "soc+t13-refused@hospital-b.example" // answered 550
)

var hospitals = e2etest.Hospitals(2)

func TestSMTPTempfail(t *testing.T) {
	began := time.Now()
	e := e2etest.Start(t, hospitals...)
	e.Postfix.SetAccess(map[string]string{
		later:   "451 4.7.1 Try again later",
		refused: "550 5.7.1 Mailbox refused by policy",
	})
	e.Serve()
	for i, from := range []string{later, refused} {
		e.Send(from, []string{e2etest.Address}, e2etest.Compose{
			From: "Hospital SOC <" + from + ">", To: e2etest.Address,
			Subject:   "Phishing with a fake login page",
			MessageID: []string{"<later.t13@hospital-a.example>", "<refused.t13@hospital-b.example>"}[i],
			Body:      "Our staff got a link to http://sso-login.staff-portal-update.com/ today.\n",
		}.Bytes())
	}

	ack := func(to string) store.OutboxMail {
		for _, m := range e.Outbox() {
			if m.Kind == store.KindAck && len(m.Recipients) == 1 && m.Recipients[0] == to {
				return m
			}
		}
		return store.OutboxMail{}
	}
	faults := map[string]int{}
	// putOff waits until the ack to `later` has been put off n more times
	// with this reply.
	putOff := func(code string, n int) {
		t.Helper()
		start := ack(later).Attempts
		e2etest.WaitFor(t, 30*time.Second, "the ack put off by "+code, func() bool {
			m := ack(later)
			return m.State == store.OutboxQueued && m.Attempts >= start+n && strings.Contains(m.LastError, code)
		}, func() string { return ack(later).LastError })
		faults[code] += ack(later).Attempts - start
	}
	putOff("451", 2)
	e.Postfix.SetAccess(map[string]string{later: "421 4.7.0 Closing connection, try later", refused: "550 5.7.1 Mailbox refused by policy"})
	putOff("421", 2)
	e.Postfix.SetAccess(nil)

	m := e.WaitMail(hospitals[0], "INBOX", "the acknowledgement, once the server takes it", 30*time.Second, func(m *e2etest.Mail) bool {
		return m.Header("In-Reply-To") == "<later.t13@hospital-a.example>"
	})
	e2etest.WaitFor(t, 10*time.Second, "the ack recorded as sent", func() bool { return ack(later).State == store.OutboxSent })
	if a := ack(later); a.MessageID != m.Header("Message-ID") || a.Attempts < 5 {
		t.Errorf("ack row %+v, want sent after at least 5 attempts with the Message-ID %s received", a, m.Header("Message-ID"))
	}
	e.Postfix.WaitDelivered(10 * time.Second)
	if n := len(e.Mailbox(hospitals[0], "INBOX")); n != 1 {
		t.Errorf("%s got %d mails, want the acknowledgement once", hospitals[0], n)
	}
	if n := strings.Count(e.Postfix.Log(), "message-id="+m.Header("Message-ID")); n != 1 {
		t.Errorf("Postfix took the acknowledgement %d times, want once", n)
	}

	t.Run("550 on the ticket", func(t *testing.T) {
		var a store.OutboxMail
		e2etest.WaitFor(t, 20*time.Second, "the refused ack failed", func() bool {
			a = ack(refused)
			return a.State == store.OutboxFailed
		})
		faults["550"]++
		if a.Attempts != 1 || a.DSNStatus != "5.7.1" || !strings.Contains(a.LastError, "550") {
			t.Errorf("refused ack: attempts %d, dsn %q, error %q; want one attempt, 5.7.1, the 550", a.Attempts, a.DSNStatus, a.LastError)
		}
		d := e.Ticket(a.Ticket)
		found := false
		for _, ev := range d.Events {
			if ev.Kind == "delivery-failed" {
				found = true
				if !strings.Contains(ev.Detail, "550") && !strings.Contains(ev.Detail, "5.7.1") {
					t.Errorf("delivery-failed event says %q, want the server's 550", ev.Detail)
				}
			}
		}
		if !found {
			t.Errorf("ticket #%d has no delivery-failed event: %+v", a.Ticket, d.Events)
		}
		if n := len(e.Mailbox(hospitals[1], "INBOX")); n != 0 {
			t.Errorf("%s got %d mails, want none", hospitals[1], n)
		}
	})
	t.Logf("figures: SMTP faults injected: 451 ×%d, 421 ×%d, 550 ×%d; the put-off ack delivered once, the refused one on its ticket; in %v",
		faults["451"], faults["421"], faults["550"], time.Since(began).Round(time.Millisecond))
}
