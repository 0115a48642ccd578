package takedown

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// The fixture is the whole loop on loopback: a store, the real triage
// gateway (parser included) taking in a hospital's report and a
// triager's commands, RDAP servers answering RFC 9083 JSON as a registry
// and an RIR do, a bootstrap folder pointing at them, a resolver, and a
// phishing site served through the check proxy.

const (
	league  = "report@league.example"
	alex    = "alex@volunteers.example"
	alice   = "alice@hospital.example"
	phish   = "http://vpn-renew.evil.example/login"
	phishIP = "192.0.2.10"
	// The registrar's and the hoster's abuse desks, as RDAP names them.
	registrarAbuse = "abuse@registrar.example"
	hosterAbuse    = "abuse@hoster.example"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var secret = []byte("0123456789abcdef0123456789abcdef")

type fixture struct {
	t   testing.TB
	ctx context.Context
	st  *store.Store
	g   *triage.Gateway
	svc *Service

	mu  sync.Mutex
	now time.Time
	uid uint32

	rdap *rdapServer
	site *site
	dns  mapResolver
}

// rdapServer answers /domain/NAME and /ip/ADDR; a test may replace the
// answer of one path (a fault) with answer.
type rdapServer struct {
	*httptest.Server
	mu     sync.Mutex
	faults map[string]http.HandlerFunc
	hits   map[string]int
}

func (s *rdapServer) fault(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.faults, path)
		return
	}
	s.faults[path] = h
}

func (s *rdapServer) served(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func newRDAPServer(t testing.TB) *rdapServer {
	s := &rdapServer{faults: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		f := s.faults[r.URL.Path]
		s.mu.Unlock()
		if f != nil {
			f(w, r)
			return
		}
		name := strings.ReplaceAll(strings.TrimPrefix(r.URL.Path, "/"), "/", "-") + ".json"
		b, err := os.ReadFile(filepath.Join("testdata", "rdap", name))
		if err != nil {
			w.Header().Set("Content-Type", "application/rdap+json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errorCode": 404, "title": "Not Found", "description": ["no such object"]}`)
			return
		}
		w.Header().Set("Content-Type", "application/rdap+json")
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

// site is the phishing site, reached through the check proxy: the proxy
// serves it itself, for the host it was asked for.
type site struct {
	*httptest.Server
	mu       sync.Mutex
	status   int
	redirect string
	hosts    []string
}

func (s *site) set(status int, redirect string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.redirect = status, redirect
}

func newSite(t testing.TB) *site {
	s := &site{status: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		status, redirect := s.status, s.redirect
		s.hosts = append(s.hosts, r.URL.Host)
		s.mu.Unlock()
		if !r.URL.IsAbs() {
			http.Error(w, "this is a proxy", http.StatusBadRequest)
			return
		}
		switch {
		case r.URL.Host == "suspended.hoster.example":
			fmt.Fprint(w, "<h1>This account has been suspended</h1>")
		case r.URL.Host != "vpn-renew.evil.example":
			http.Error(w, "no such host", http.StatusBadGateway)
		case redirect != "":
			http.Redirect(w, r, redirect, http.StatusFound)
		case status == 200:
			fmt.Fprint(w, `<form action="/post"><input name="password"></form>`)
		default:
			http.Error(w, http.StatusText(status), status)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

type mapResolver map[string][]string

func (m mapResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	as, ok := m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range as {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// writeBootstrap writes dns.json and ipv4.json pointing at base.
func writeBootstrap(t testing.TB, base string) string {
	dir := t.TempDir()
	file := func(name, entry string) {
		b, _ := json.Marshal(map[string]any{"version": "1.0", "publication": "2026-12-01T00:00:00Z",
			"services": [][][]string{{{entry}, {base + "/"}}}})
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file("dns.json", "example")
	file("ipv4.json", "192.0.2.0/24")
	return dir
}

func newFixture(t testing.TB, edit func(*Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, now: time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC)}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "league.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	f.g, err = triage.New(st, triage.Config{Address: league, Domains: []string{"league.example"}, Secret: secret,
		Triagers: []string{alex}, AuthservID: "mx.league.example", Now: f.clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	f.rdap = newRDAPServer(t)
	f.site = newSite(t)
	f.dns = mapResolver{"vpn-renew.evil.example": {phishIP, "10.0.0.7"}}
	bs, err := NewBootstrap(writeBootstrap(t, f.rdap.URL), nil, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	checker, err := NewChecker(f.site.URL, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Address: league, Name: "The League", Domains: []string{"league.example"}, Secret: secret,
		Triagers: []string{alex}, Bootstrap: bs, RDAP: NewRDAP(&http.Client{Timeout: 2 * time.Second}),
		Resolve: true, Resolver: f.dns, Checker: checker, Now: f.clock, Logger: quiet}
	if edit != nil {
		edit(&cfg)
	}
	f.svc, err = New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// take takes in one raw mail as if read from INBOX.
func (f *fixture) take(raw string) {
	f.t.Helper()
	f.mu.Lock()
	f.uid++
	uid := f.uid
	f.mu.Unlock()
	raw = strings.ReplaceAll(strings.TrimLeft(raw, "\n"), "\n", "\r\n")
	if err := f.g.Take(f.ctx, []byte(raw), store.Origin{Mailbox: "INBOX", UIDValidity: 1, UID: uid}); err != nil {
		f.t.Fatal(err)
	}
	f.advance(time.Minute)
}

const authres = "Authentication-Results: mx.league.example; dkim=pass header.d=%s; spf=pass smtp.mailfrom=%s\n"

// report takes in Alice's report of the phishing URL.
func (f *fixture) report() {
	f.take(fmt.Sprintf(authres, "hospital.example", "hospital.example") + `Message-ID: <r1@hospital.example>
Date: Mon, 23 Nov 2026 09:14:01 +0000
From: Alice Martin <alice@hospital.example>
To: report@league.example
Subject: Phishing: fake VPN login page
Content-Type: text/plain; charset=utf-8

Our nurses got a mail asking them to renew their VPN access at
http://vpn-renew.evil.example/login
`)
}

// triager takes in Alex's commands on ticket 1.
func (f *fixture) triager(commands ...string) {
	f.uid++
	f.take(fmt.Sprintf(authres, "volunteers.example", "volunteers.example") + fmt.Sprintf(`Message-ID: <c%d@volunteers.example>
Date: Mon, 23 Nov 2026 10:31:25 +0000
From: Alex Moreau <alex@volunteers.example>
To: report@league.example
Subject: Re: [League #1] New report: Phishing: fake VPN login page
Content-Type: text/plain; charset=utf-8

%s

Looks real.
`, f.uid, strings.Join(commands, "\n")))
}

func (f *fixture) tick() {
	f.t.Helper()
	if err := f.svc.Tick(f.ctx); err != nil {
		f.t.Fatalf("tick: %v", err)
	}
}

func (f *fixture) outbox(kind string) []store.OutboxMail {
	f.t.Helper()
	all, err := f.st.Outbox(f.ctx, store.OutboxFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.OutboxMail
	for _, m := range all {
		if kind == "" || m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// to returns the mails of kind to rcpt.
func (f *fixture) to(kind, rcpt string) []store.OutboxMail {
	var out []store.OutboxMail
	for _, m := range f.outbox(kind) {
		if slices.Contains(m.Recipients, rcpt) {
			out = append(out, m)
		}
	}
	return out
}

// data decodes the Data of m.
func data(t *testing.T, m store.OutboxMail) store.MailData {
	t.Helper()
	d, err := m.MailData()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) events(kind string) []store.Event {
	f.t.Helper()
	evs, err := f.st.Events(f.ctx, 1)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.Event
	for _, e := range evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
