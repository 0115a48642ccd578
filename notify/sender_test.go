package notify

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/store"
)

const phish = "Fake VPN login at http://vpn-login.evil-example.com/auth sent from 185.117.73.7"

// TestBatchOneConnection: the due mails of a batch go over one
// connection, after AUTH PLAIN, and are marked sent.
func TestBatchOneConnection(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	f.user, f.pass = "report@league.example", "s3cret"
	for _, from := range []string{"soc@hospital-a.example", "it@hospital-b.example", "sec@hospital-c.example"} {
		e.report(from, "Phishing", phish)
	}
	s := e.sender(f.url())
	sent, err := s.SendDue(e.ctx)
	if err != nil || sent != 6 { // an ack and a triager notice each
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	if f.conns != 1 || f.authed != 1 {
		t.Errorf("%d connections, %d logins; want 1 and 1", f.conns, f.authed)
	}
	if q := e.outbox(store.OutboxQueued); len(q) != 0 {
		t.Errorf("%d still queued", len(q))
	}
	for _, m := range e.outbox(store.OutboxSent) {
		if m.Attempts != 1 || !m.SentAt.Equal(t0) {
			t.Errorf("mail %d: attempts %d sent at %v", m.ID, m.Attempts, m.SentAt)
		}
	}
	got := f.received()
	if len(got) != 6 || got[0].from != league {
		t.Fatalf("received %d mails, first from %q", len(got), got[0].from)
	}
	if st := s.Status(); st.LastResult != "ok" || st.Backlog.Queued != 0 {
		t.Errorf("status %+v", st)
	}
	// Nothing due: no connection at all.
	if sent, err := s.SendDue(e.ctx); sent != 0 || err != nil || f.conns != 1 {
		t.Errorf("second SendDue: %d, %v, %d connections", sent, err, f.conns)
	}
}

// TestTemporaryFailureRetried: a 451 puts the mail off with backoff; it is
// not tried again before it is due, and is delivered once the server
// takes it.
func TestTemporaryFailureRetried(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	busy := true
	f.rcpt = func(to string) error {
		if busy {
			return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, try later")
		}
		return nil
	}
	e.report("soc@hospital-a.example", "Phishing", phish)
	s := e.sender(f.url())
	if sent, err := s.SendDue(e.ctx); sent != 0 || err != nil {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	q := e.outbox(store.OutboxQueued)
	if len(q) != 2 {
		t.Fatalf("%d queued, want 2", len(q))
	}
	for _, m := range q {
		wait := m.NextAttemptAt.Sub(t0)
		if m.Attempts != 1 || wait < 30*time.Second || wait > time.Minute || !strings.Contains(m.LastError, "451") {
			t.Errorf("mail %d: attempts %d, next in %v, error %q", m.ID, m.Attempts, wait, m.LastError)
		}
	}
	e.now = t0.Add(10 * time.Second)
	if sent, _ := s.SendDue(e.ctx); sent != 0 || f.conns != 1 {
		t.Errorf("retried before due: %d sent, %d connections", sent, f.conns)
	}
	// Still busy: the second wait is about twice the first.
	e.now = t0.Add(time.Minute)
	s.SendDue(e.ctx)
	for _, m := range e.outbox(store.OutboxQueued) {
		if wait := m.NextAttemptAt.Sub(e.now); m.Attempts != 2 || wait < time.Minute || wait > 2*time.Minute {
			t.Errorf("mail %d: attempts %d, next in %v", m.ID, m.Attempts, wait)
		}
	}
	busy = false
	e.now = t0.Add(4 * time.Minute)
	if sent, err := s.SendDue(e.ctx); sent != 2 || err != nil {
		t.Fatalf("after the server recovers: SendDue = %d, %v", sent, err)
	}
	if len(f.received()) != 2 {
		t.Errorf("server got %d mails", len(f.received()))
	}
}

// TestPermanentFailureOnTicket: a 550 fails the mail for good and says so
// on its ticket; a mail that keeps failing for 5 days is given up the
// same way.
func TestPermanentFailureOnTicket(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	f.rcpt = func(to string) error {
		switch {
		case strings.HasPrefix(to, "soc@"):
			return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "<soc@hospital-a.example>: Recipient address rejected: User unknown")
		case strings.HasPrefix(to, "alex@"):
			return smtpErr(450, smtp.EnhancedCode{4, 2, 0}, "mailbox busy")
		}
		return nil
	}
	e.report("soc@hospital-a.example", "Phishing", phish)
	s := e.sender(f.url())
	s.SendDue(e.ctx)
	failed := e.outbox(store.OutboxFailed)
	if len(failed) != 1 || failed[0].Kind != store.KindAck || failed[0].DSNStatus != "5.1.1" || !strings.Contains(failed[0].LastError, "550") {
		t.Fatalf("failed = %+v", failed)
	}
	e.now = t0.Add(5*24*time.Hour + time.Minute)
	s.SendDue(e.ctx)
	failed = e.outbox(store.OutboxFailed)
	if len(failed) != 2 || !strings.Contains(failed[1].LastError, "gave up after") {
		t.Fatalf("after 5 days: failed = %+v", failed)
	}
	evs, err := e.st.Events(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, ev := range evs {
		if ev.Kind == "delivery-failed" {
			seen = append(seen, ev.Detail)
		}
	}
	if len(seen) != 2 || !strings.Contains(seen[0], "ack mail to soc@hospital-a.example failed") || !strings.Contains(seen[0], "5.1.1") {
		t.Errorf("delivery-failed events: %q", seen)
	}
}

// TestConnectionLost: a 421 after DATA, or a server that is gone, defers
// the mail and the rest of the batch.
func TestConnectionLost(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	f.closeAfterData = true
	e.report("soc@hospital-a.example", "Phishing", phish)
	s := e.sender(f.url())
	if _, err := s.SendDue(e.ctx); err == nil {
		t.Error("no error from a 421")
	}
	q := e.outbox(store.OutboxQueued)
	if len(q) != 2 || q[0].Attempts != 1 || q[1].Attempts != 0 {
		t.Errorf("after a 421: %+v", q)
	}
	dead := e.sender("smtp://127.0.0.1:1?tls=none")
	e.now = t0.Add(time.Hour)
	if _, err := dead.SendDue(e.ctx); err == nil {
		t.Error("no error without a server")
	}
	for _, m := range e.outbox(store.OutboxQueued) {
		if m.Attempts == 0 || !m.NextAttemptAt.After(e.now) {
			t.Errorf("mail %d not deferred: %+v", m.ID, m)
		}
	}
	if st := dead.Status(); !strings.Contains(st.LastResult, "connect to 127.0.0.1:1") || st.Backlog.Queued != 2 {
		t.Errorf("status %+v", st)
	}
}

// TestLastCheckBeforeSending: whatever was queued, nothing goes to our own
// domains or to a mail system's address; the refusal is on the ticket.
func TestLastCheckBeforeSending(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	for _, to := range []string{"MAILER-DAEMON@hospital-a.example", "postmaster@hospital-a.example", "null@x.example",
		"report@league.example", "abuse@mx.league.example", "someone@own.example", "x@y.example\r\nBcc: v@example.com"} {
		e.enqueue(1, store.KindCommandConfirm, []string{to}, `{"command":"#take"}`)
	}
	s := e.sender(f.url(), func(c *Config) { c.Domains = []string{"league.example", "own.example"} })
	if sent, err := s.SendDue(e.ctx); sent != 2 || err != nil {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	for _, m := range f.received() {
		if m.to[0] != "soc@hospital-a.example" && m.to[0] != "alex@volunteers.example" {
			t.Errorf("sent to %v", m.to)
		}
	}
	sup := e.outbox(store.OutboxSuppressed)
	if len(sup) != 7 {
		t.Fatalf("%d suppressed, want 7", len(sup))
	}
	evs, _ := e.st.Events(e.ctx, 1)
	n := 0
	for _, ev := range evs {
		if ev.Kind == "suppressed" && strings.Contains(ev.Detail, "refused before sending") {
			n++
		}
	}
	if n != 7 {
		t.Errorf("%d suppressed events, want 7", n)
	}
}

// TestDKIM: a configured key signs every mail, and the signature verifies
// against the published key.
func TestDKIM(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "dkim.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	pub, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	txt := "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(pub)

	e.report("soc@hospital-a.example", "Hôpital: phishing\r\nBcc: victim@example.com", phish)
	s := e.sender(f.url(), func(c *Config) { c.DKIM = DKIM{Selector: "lm1", Domain: "league.example", KeyFile: keyFile} })
	if sent, err := s.SendDue(e.ctx); sent != 2 || err != nil {
		t.Fatalf("SendDue = %d, %v", sent, err)
	}
	for _, m := range f.received() {
		vs, err := dkim.VerifyWithOptions(strings.NewReader(string(m.data)), &dkim.VerifyOptions{
			LookupTXT: func(name string) ([]string, error) {
				if name != "lm1._domainkey.league.example" {
					t.Errorf("lookup of %s", name)
				}
				return []string{txt}, nil
			},
		})
		if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "league.example" {
			t.Errorf("verification: %v %+v", err, vs)
		}
	}
	for _, bad := range []DKIM{{Selector: "x"}, {Selector: "x", Domain: "d", KeyFile: "/nonexistent"}} {
		if _, err := New(e.st, Config{URL: f.url(), From: league, DKIM: bad}); err == nil {
			t.Errorf("DKIM %+v accepted", bad)
		}
	}
}

// TestRunAndWake: Run sends what Wake announces at once, and returns when
// its context ends.
func TestRunAndWake(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	e.now = time.Now()
	s := e.sender(f.url(), func(c *Config) { c.Poll = time.Hour; c.Now = time.Now })
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	time.Sleep(50 * time.Millisecond)
	e.report("soc@hospital-a.example", "Phishing", phish)
	s.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.received()) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(f.received()) != 2 {
		t.Errorf("after Wake: %d mails", len(f.received()))
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
}

func TestMetricsTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, b := NewMetrics(reg), NewMetrics(reg)
	a.sent.WithLabelValues("ack").Inc()
	if a.sent != b.sent {
		t.Error("second NewMetrics made new collectors")
	}
	mfs, err := reg.Gather()
	if err != nil || len(mfs) == 0 {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetHelp() == "" {
			t.Errorf("%s has no help", mf.GetName())
		}
	}
}
