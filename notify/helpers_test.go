package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

const league = "report@league.example"

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// env is a store and a triage gateway with the real parser, on a clock
// the test moves.
type env struct {
	t   *testing.T
	ctx context.Context
	st  *store.Store
	g   *triage.Gateway
	now time.Time
	seq int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), now: t0}
	st, err := store.Open(e.ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.g, err = triage.New(st, triage.Config{
		Address: league, Domains: []string{"league.example"}, Secret: []byte("0123456789abcdef-notify-test"),
		Triagers: []string{"alex@volunteers.example"}, Now: e.clock, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) clock() time.Time { return e.now }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// report takes in a report from `from` with extra header lines, as if read
// from the league's mailbox, and returns its ticket's number (0 if none).
func (e *env) report(from, subject, body string, extra ...string) {
	e.t.Helper()
	e.seq++
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Hospital SOC <%s>\r\nTo: %s\r\nSubject: %s\r\n", from, league, subject)
	fmt.Fprintf(&b, "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <r%d.%d@hospital.example>\r\n", e.seq, e.now.UnixNano())
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
	if err := e.g.Take(e.ctx, b.Bytes(), store.Origin{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(e.seq)}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) outbox(state store.OutboxState) []store.OutboxMail {
	e.t.Helper()
	ms, err := e.st.Outbox(e.ctx, store.OutboxFilter{State: state})
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

// enqueue queues a mail on ticket n, as triage will for escalations and
// alerts.
func (e *env) enqueue(n int64, kind string, to []string, data string, adjust ...func(*store.OutboxMail)) store.OutboxMail {
	e.t.Helper()
	e.seq++
	m := &store.OutboxMail{Ticket: n, Kind: kind, Recipients: to, From: league,
		MessageID: fmt.Sprintf("<t%d.x%d@league.example>", n, e.seq), Subject: fmt.Sprintf("[League #%d] %s", n, kind),
		Template: kind, Data: []byte(data), CreatedAt: e.now}
	for _, f := range adjust {
		f(m)
	}
	if err := e.st.Update(e.ctx, func(tx *store.Tx) error { _, err := tx.Enqueue(e.ctx, m); return err }); err != nil {
		e.t.Fatal(err)
	}
	return *m
}

func (e *env) sender(url string, adjust ...func(*Config)) *Sender {
	e.t.Helper()
	cfg := Config{URL: url, From: league, Domains: []string{"league.example"}, HelloName: "gw.league.example",
		Logger: quiet(), Now: e.clock}
	for _, f := range adjust {
		f(&cfg)
	}
	s, err := New(e.st, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// fakeSMTP is a go-smtp server that answers as a test tells it.
type fakeSMTP struct {
	addr string
	mu   sync.Mutex
	// rcpt answers RCPT TO; nil accepts.
	rcpt func(to string) error
	// user and pass, when set, are required with AUTH PLAIN.
	user, pass string
	// closeAfterData closes the connection instead of answering DATA.
	closeAfterData bool
	conns          int
	authed         int
	mails          []fakeMail
}

type fakeMail struct {
	from string
	to   []string
	data []byte
}

func startFake(t *testing.T) *fakeSMTP {
	t.Helper()
	f := &fakeSMTP{}
	srv := smtp.NewServer(f)
	srv.Domain = "fake.example"
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = l.Addr().String()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *fakeSMTP) url() string {
	if f.user != "" {
		return "smtp://" + f.user + ":" + f.pass + "@" + f.addr + "?tls=none"
	}
	return "smtp://" + f.addr + "?tls=none"
}

func (f *fakeSMTP) received() []fakeMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMail(nil), f.mails...)
}

func (f *fakeSMTP) NewSession(c *smtp.Conn) (smtp.Session, error) {
	f.mu.Lock()
	f.conns++
	f.mu.Unlock()
	return &fakeSession{f: f}, nil
}

type fakeSession struct {
	f      *fakeSMTP
	authed bool
	cur    fakeMail
}

func (s *fakeSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *fakeSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.f.user || pass != s.f.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		s.f.mu.Lock()
		s.f.authed++
		s.f.mu.Unlock()
		return nil
	}), nil
}

func (s *fakeSession) Reset()        { s.cur = fakeMail{} }
func (s *fakeSession) Logout() error { return nil }

func (s *fakeSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.f.user != "" && !s.authed {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	s.cur = fakeMail{from: from}
	return nil
}

func (s *fakeSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.f.mu.Lock()
	rcpt := s.f.rcpt
	s.f.mu.Unlock()
	if rcpt != nil {
		if err := rcpt(to); err != nil {
			return err
		}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *fakeSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.f.closeAfterData {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "shutting down"}
	}
	s.cur.data = b
	s.f.mails = append(s.f.mails, s.cur)
	return nil
}

func smtpErr(code int, enh smtp.EnhancedCode, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

func contains(s string, subs ...string) string {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return x
		}
	}
	return ""
}
