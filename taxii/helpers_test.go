package taxii

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/internal/taxiitest"
	"github.com/hospital-league/leaguemail/store"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// testSource is a real store (keys, date_added) with the tickets set by
// the test.
type testSource struct {
	*store.Store
	mu      sync.Mutex
	tickets []Ticket
}

func (s *testSource) Tickets(context.Context) ([]Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ticket(nil), s.tickets...), nil
}

func (s *testSource) add(ts ...Ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickets = append(s.tickets, ts...)
}

func vi(typ, value string) export.Indicator {
	return export.Indicator{Type: typ, Value: value, FirstSeen: t0, LastSeen: t0, Verified: true}
}

func ticket(n int64, tlp, country, sector string, ins ...export.Indicator) Ticket {
	return Ticket{Ticket: export.Ticket{Number: n, Created: t0, Updated: t0.Add(time.Duration(n) * time.Minute),
		TLP: tlp, State: "triaged", Indicators: ins}, Country: country, Sector: sector}
}

// fixture is what every test's league holds.
func fixture() []Ticket {
	return []Ticket{
		ticket(1, "green", "FR", "health", vi("domain", "green-fr.example"), vi("ipv4", "45.133.1.10"), vi("url", "http://green-fr.example/login")),
		ticket(2, "amber", "FR", "health", vi("domain", "amber-fr-health.example")),
		ticket(3, "amber", "DE", "health", vi("domain", "amber-de-health.example")),
		ticket(4, "amber", "", "", vi("domain", "amber-nobody.example")),
		ticket(5, "red", "FR", "health", vi("domain", "red-fr.example")),
		ticket(6, "green", "FR", "health", export.Indicator{Type: "domain", Value: "pending.example", FirstSeen: t0, LastSeen: t0}),
		ticket(7, "amber", "FR", "pharma", vi("domain", "amber-fr-pharma.example")),
		ticket(8, "amber+strict", "FR", "health", vi("domain", "strict-fr-health.example")),
	}
}

type env struct {
	t    testing.TB
	src  *testSource
	srv  *Server
	http *httptest.Server
	root string
	log  *bytes.Buffer
	now  time.Time
	mu   sync.Mutex
}

func newEnv(t *testing.T, cfg Config) *env { return newEnvTB(t, cfg) }

func newEnvTB(t testing.TB, cfg Config) *env {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, src: &testSource{Store: st, tickets: fixture()}, log: &bytes.Buffer{}, now: t0}
	cfg.League = "Test League"
	cfg.Logger = slog.New(slog.NewTextHandler(lockedWriter{e}, nil))
	if cfg.Now == nil {
		cfg.Now = func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }
	}
	e.srv = New(e.src, cfg)
	mux := http.NewServeMux()
	mux.Handle(DiscoveryPath, e.srv)
	e.http = httptest.NewServer(mux)
	t.Cleanup(e.http.Close)
	e.root = e.http.URL + RootPath
	return e
}

type lockedWriter struct{ e *env }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.e.mu.Lock()
	defer w.e.mu.Unlock()
	return w.e.log.Write(b)
}

func (e *env) logText() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

func (e *env) tick(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// key adds a key and returns a client that uses it.
func (e *env) key(name, tlp, country, sector string) *taxiitest.Client {
	e.t.Helper()
	key, hash, err := NewKey()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.src.AddTAXIIKey(context.Background(), store.TAXIIKey{Name: name, TLP: tlp, Country: country, Sector: sector}, hash); err != nil {
		e.t.Fatal(err)
	}
	return &taxiitest.Client{Key: key}
}

func (e *env) public() string { return PublicCollectionID("Test League") }

func (e *env) own(name string) string { return KeyCollectionID("Test League", name) }
