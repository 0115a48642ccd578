// Package t14_store_faults proves that a store that cannot write loses
// no mail and sends nothing twice. While another process holds the
// SQLite database locked, and while the disk under it is full, a report
// that arrives stays in the IMAP INBOX unmoved; the error is in the log
// and in /metrics (leaguemail_mails_in_total{result="error"}, the
// intake's error counters); once the store recovers the report is taken
// in once and acknowledged once. An acknowledgement that the SMTP server
// accepted while the store could not record it is not sent again.
package t14_store_faults

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

var hospitals = e2etest.Hospitals(2)

// reporter returns the address of report n: plus-addresses of the two
// hospitals, so that each report has a sender of its own.
func reporter(n int) string {
	local, domain, _ := strings.Cut(hospitals[n%2], "@")
	return fmt.Sprintf("%s+t14-r%d@%s", local, n, domain)
}

func report(n int, body string) e2etest.Compose {
	return e2etest.Compose{
		From:      "Hospital SOC <" + reporter(n) + ">",
		To:        e2etest.Address,
		Subject:   fmt.Sprintf("Suspicious mail %d", n),
		MessageID: fmt.Sprintf("<r%d.t14@hospital.example>", n),
		Body:      body,
	}
}

// world is the scenario's gateway and what it checks between faults.
type world struct {
	t      *testing.T
	e      *e2etest.Env
	gw     *e2etest.Gateway
	faults int
}

func TestStoreFaults(t *testing.T) {
	began := time.Now()
	e := e2etest.Start(t, hospitals...)
	// The store lives on a small filesystem of its own, which the
	// disk-full fault fills; without one that fault is skipped.
	disk, mountErr := e2etest.Tmpfs(t, 32<<20)
	if mountErr == nil {
		e.Data.Store = filepath.Join(disk, "leaguemail.db")
		e.WriteConfig(filepath.Join("testdata", "leaguemail.toml.tmpl"))
	}
	w := &world{t: t, e: e, gw: e.Serve()}

	w.send(1, report(1, "A first report: http://login.payroll-update.com/\n"))
	w.waitTaken(1)
	w.waitAck(1)

	t.Run("locked", w.locked)
	if t.Failed() {
		return
	}
	t.Run("disk full", func(t *testing.T) {
		if mountErr != nil {
			t.Skipf("no disk-full fault: %v", mountErr)
		}
		w.diskFull(t, disk)
	})
	t.Logf("figures: store faults injected %d (lock held by another process, disk full); reports lost 0, taken twice 0, acks sent twice 0; in %v",
		w.faults, time.Since(began).Round(time.Millisecond))
}

// locked: another process holds the database's write lock longer than
// the gateway's busy timeout, while a report arrives and while an
// acknowledgement, put off by the SMTP server until then, goes out.
func (w *world) locked(t *testing.T) {
	e := w.e
	// Report 2's acknowledgement waits on a 451 until the lock is taken.
	e.Postfix.SetAccess(map[string]string{reporter(2): "451 4.7.1 Try again later"})
	w.send(2, report(2, "A second report: http://invoice-portal.example-billing.com/\n"))
	w.waitTaken(2)
	ack2 := w.waitOutbox("report 2's ack put off by the 451", func(m store.OutboxMail) bool {
		return m.Ticket == 2 && m.Attempts > 0 && strings.Contains(m.LastError, "451")
	})

	before := w.metrics()
	lock := e2etest.LockStore(t, e.Data.Store)
	w.faults++
	e.Postfix.SetAccess(nil)
	w.send(3, report(3, "A third report, while the store is locked: http://secure-mailbox.update-account.net/\n"))

	// The report stays where it is, unmoved, and the failure is counted.
	e2etest.WaitFor(t, 40*time.Second, "the take error in /metrics", func() bool {
		m := w.metrics()
		return m.mailsError > before.mailsError && m.takeErrors > before.takeErrors && m.sessionErrors > before.sessionErrors
	})
	if n := e.Dovecot.Count(t, e2etest.Address, "INBOX"); n != 1 {
		t.Errorf("INBOX holds %d mails while the store is locked, want report 3 alone, unmoved", n)
	}
	if n := e.Dovecot.Count(t, e2etest.Address, "Processed"); n != 2 {
		t.Errorf("Processed holds %d mails while the store is locked, want the 2 taken before", n)
	}
	if !strings.Contains(w.gw.Log(), "database is locked") {
		t.Errorf("the log does not say that the database is locked")
	}

	// Report 2's acknowledgement is due again (the 451 is gone), but a
	// sender claims a mail in the store before it sends it (the outbox is
	// shared by every gateway of the store): while the store is locked it
	// sends nothing it could not record. It polls the outbox every second;
	// a copy would reach Postfix within that.
	e2etest.WaitFor(t, 40*time.Second, "the sender's claim refused by the lock", func() bool {
		return strings.Contains(w.gw.Log(), "claim outbox mail: database is locked")
	})
	watch := time.Now().Add(3 * time.Second)
	for time.Now().Before(watch) && postfixCopies(e, ack2.MessageID) < 1 {
		time.Sleep(100 * time.Millisecond)
	}
	if n := postfixCopies(e, ack2.MessageID); n != 0 {
		t.Errorf("report 2's ack reached Postfix %d times while the store was locked, want not yet", n)
	}
	lock.Release()

	w.waitTaken(3)
	w.waitAck(2)
	w.waitAck(3)
	w.waitOutbox("every ack recorded as sent", func(m store.OutboxMail) bool { return false }, func(ms []store.OutboxMail) bool {
		for _, m := range ms {
			if m.State != store.OutboxSent {
				return false
			}
		}
		return len(ms) == 3
	})
	if n := postfixCopies(e, ack2.MessageID); n != 1 {
		t.Errorf("Postfix took report 2's ack %s %d times, want once", ack2.MessageID, n)
	}
	w.checkOnce(3)
}

// diskFull: the filesystem of the store is full when a report arrives;
// the report is large enough that SQLite's WAL must grow to take it.
func (w *world) diskFull(t *testing.T, disk string) {
	e := w.e
	before := w.metrics()
	filler := e2etest.Fill(t, disk)
	w.faults++
	w.send(4, bigReport(4))
	e2etest.WaitFor(t, 30*time.Second, "the take error in /metrics", func() bool {
		m := w.metrics()
		return m.mailsError > before.mailsError && m.takeErrors > before.takeErrors
	})
	if n := e.Dovecot.Count(t, e2etest.Address, "INBOX"); n != 1 {
		t.Errorf("INBOX holds %d mails while the disk is full, want report 4 alone, unmoved", n)
	}
	if !strings.Contains(w.gw.Log(), "disk is full") {
		t.Errorf("the log does not say that the disk is full")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	w.waitTaken(4)
	w.waitAck(4)
	w.checkOnce(4)
}

// bigReport is a report with a 2 MiB attachment, base64: more than the
// WAL holds after the first reports, so its commit must write new pages.
func bigReport(n int) []byte {
	blob := make([]byte, 2<<20)
	rand.Read(blob)
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(strings.Replace(string(report(n, "").Bytes()), "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\r\n",
		"Content-Type: multipart/mixed; boundary=\"b14\"\r\n\r\n", 1))
	b.WriteString("--b14\r\nContent-Type: text/plain\r\n\r\nThe attached capture holds the phishing kit we found.\r\n")
	b.WriteString("--b14\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"capture.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b14--\r\n")
	return b.Bytes()
}

func (w *world) send(n int, m any) {
	w.t.Helper()
	var raw []byte
	switch m := m.(type) {
	case e2etest.Compose:
		raw = m.Bytes()
	case []byte:
		raw = m
	}
	w.e.Send(reporter(n), []string{e2etest.Address}, raw)
}

// waitTaken waits until report n is ticket n and the INBOX is empty.
func (w *world) waitTaken(n int) {
	w.t.Helper()
	e2etest.WaitFor(w.t, 30*time.Second, fmt.Sprintf("report %d taken in and moved", n), func() bool {
		return w.e.Dovecot.Count(w.t, e2etest.Address, "Processed") == n && w.e.Dovecot.Count(w.t, e2etest.Address, "INBOX") == 0
	})
}

// waitAck waits for report n's acknowledgement in its hospital's mailbox.
func (w *world) waitAck(n int) {
	w.t.Helper()
	id := report(n, "").MessageID
	w.e.WaitMail(hospitals[n%2], "INBOX", fmt.Sprintf("the ack of report %d", n), 30*time.Second, func(m *e2etest.Mail) bool {
		return m.Header("In-Reply-To") == id
	})
}

// waitOutbox waits until one outbox mail matches, or all of them do.
func (w *world) waitOutbox(what string, one func(store.OutboxMail) bool, all ...func([]store.OutboxMail) bool) store.OutboxMail {
	w.t.Helper()
	var found store.OutboxMail
	e2etest.WaitFor(w.t, 30*time.Second, what, func() bool {
		ms := w.e.Outbox()
		for _, a := range all {
			return a(ms)
		}
		for _, m := range ms {
			if one(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// checkOnce: reports 1..n are tickets 1..n, each acknowledged once.
func (w *world) checkOnce(n int) {
	t := w.t
	t.Helper()
	ts := w.e.Tickets()
	if len(ts) != n {
		t.Errorf("%d tickets after %d reports", len(ts), n)
	}
	for _, tk := range ts {
		if tk.Mails != 1 {
			t.Errorf("ticket #%d holds %d mails, want its report alone", tk.Number, tk.Mails)
		}
	}
	acks := w.e.Acks(hospitals)
	for i := 1; i <= n; i++ {
		if ids := acks[report(i, "").MessageID]; len(ids) != 1 {
			t.Errorf("report %d: %d acknowledgements received, want 1", i, len(ids))
		}
	}
}

// counters are the /metrics samples the scenario follows.
type counters struct{ mailsError, takeErrors, sessionErrors float64 }

func (w *world) metrics() counters {
	ms := w.gw.Metrics()
	var c counters
	c.mailsError, _ = e2etest.Value(ms, "leaguemail_mails_in_total", "result", "error")
	c.takeErrors, _ = e2etest.Value(ms, "leaguemail_mailin_take_errors_total")
	c.sessionErrors, _ = e2etest.Value(ms, "leaguemail_mailin_errors_total")
	return c
}

// postfixCopies counts the mails with that Message-ID that Postfix took.
func postfixCopies(e *e2etest.Env, messageID string) int {
	return strings.Count(e.Postfix.Log(), "message-id="+messageID)
}
