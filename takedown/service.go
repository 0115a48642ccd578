package takedown

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/internal/metricreg"
	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// Config is what the takedown timers need.
type Config struct {
	// Address is the league's address, From of every mail; Name its
	// display name (the XARF reporter's org).
	Address string
	Name    string
	// Domains are the league's own domains: never taken down.
	Domains []string
	// Tag is the subject tag's word ("League").
	Tag string
	// Secret keys the reply tokens, as triage's.
	Secret []byte
	// Triagers are told of what happened (with the triager contacts).
	Triagers []string

	Bootstrap *Bootstrap
	RDAP      *RDAP
	// Resolve looks up the hosts' A and AAAA records with Resolver, for
	// the hosters' abuse contacts.
	Resolve  bool
	Resolver Resolver
	// Checker checks the URLs; nil checks nothing.
	Checker *Checker
	// CheckInterval is the first wait between checks (1h), doubling up
	// to CheckMax (24h) while nothing changes; WatchFor ends the checks
	// (30 days).
	CheckInterval, CheckMax, WatchFor time.Duration
	// Every is how often Run looks for due work: half the check
	// interval, between 1s and 30s, when zero.
	Every time.Duration
	// Warninglisted says whether a value must never be taken down (a
	// warninglist of well-known domains), and which list; nil refuses
	// nothing on that ground.
	Warninglisted func(typ, value string) (list string, ok bool)

	// Queued is called after a commit that queued mail (serve wakes the
	// outbox sender with it).
	Queued func()

	Metrics *Metrics
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service works takedown jobs and checks.
type Service struct {
	st     *store.Store
	cfg    Config
	tokens *replytoken.Keys
	log    *slog.Logger
}

// New returns a Service over st.
func New(st *store.Store, cfg Config) (*Service, error) {
	if !strings.Contains(cfg.Address, "@") {
		return nil, fmt.Errorf("takedown: the league's address %q is not an address", cfg.Address)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("takedown: the reply token secret must have at least 16 bytes")
	}
	if cfg.Bootstrap == nil {
		return nil, errors.New("takedown: no RDAP bootstrap")
	}
	if cfg.RDAP == nil {
		cfg.RDAP = NewRDAP(nil)
	}
	if cfg.Tag == "" {
		cfg.Tag = "League"
	}
	if cfg.CheckInterval <= 0 {
		cfg.CheckInterval = time.Hour
	}
	if cfg.CheckMax < cfg.CheckInterval {
		cfg.CheckMax = max(24*time.Hour, cfg.CheckInterval)
	}
	if cfg.WatchFor <= 0 {
		cfg.WatchFor = 30 * 24 * time.Hour
	}
	if cfg.Every <= 0 {
		cfg.Every = min(max(cfg.CheckInterval/2, time.Second), 30*time.Second)
	}
	if cfg.Resolve && cfg.Resolver == nil {
		cfg.Resolver, _ = NewResolver("")
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Queued == nil {
		cfg.Queued = func() {}
	}
	cfg.Address = strings.ToLower(strings.TrimSpace(cfg.Address))
	return &Service{st: st, cfg: cfg, tokens: replytoken.New(cfg.Secret), log: cfg.Logger}, nil
}

// Run works due jobs and checks every cfg.Every until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "takedown timer", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Tick works every job and check due now.
func (s *Service) Tick(ctx context.Context) error {
	return errors.Join(s.WorkJobs(ctx), s.CheckDue(ctx))
}

// Metrics are the takedown metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	checks   *prometheus.CounterVec
	toDown   prometheus.Histogram
	lookups  *prometheus.CounterVec
}

// NewMetrics makes the metrics and registers them on reg, unless nil.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leaguemail_takedown_requests_total",
			Help: "Takedown requests queued to abuse desks, by where the desk was found (registrar, hosting, contact)."}, []string{"source"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leaguemail_takedown_checks_total",
			Help: "Liveness checks of requested URLs, by verdict (up, down, moved, unreachable, unknown)."}, []string{"verdict"}),
		toDown: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "leaguemail_takedown_request_to_down_seconds",
			Help: "Time from the takedown request to the URL found down.", Buckets: prometheus.ExponentialBuckets(600, 2, 14)}),
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leaguemail_takedown_lookup_failures_total",
			Help: "RDAP and DNS look-ups that failed, temporary ones retried."}, []string{"temporary"}),
	}
	if reg != nil {
		m.requests = metricreg.Register(reg, m.requests)
		m.checks = metricreg.Register(reg, m.checks)
		m.toDown = metricreg.Register(reg, m.toDown)
		m.lookups = metricreg.Register(reg, m.lookups)
	}
	return m
}
