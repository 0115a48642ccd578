package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/mailin"
	"github.com/hospital-league/leaguemail/notify"
	"github.com/hospital-league/leaguemail/oauth"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/sla"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/takedown"
	"github.com/hospital-league/leaguemail/taxii"
	"github.com/hospital-league/leaguemail/triage"
	"github.com/hospital-league/leaguemail/warninglists"
)

// gateway is the whole of `serve`: the IMAP intake of every mailbox, the
// triage of what comes in, the outbox sender, the feeds, and the HTTP
// listener, over one store. demo runs the same gateway against servers of
// its own.
type gateway struct {
	cfg     *config.Config
	log     *slog.Logger
	st      *store.Store
	reg     *prometheus.Registry
	m       *gatewayMetrics
	triage  *triage.Gateway
	sender  *notify.Sender
	intakes []*mailin.Intake
	oauth   *oauth.Source // nil unless a login is by token
	feeds   *export.Scheduler
	sla     *sla.Monitor
	http    *http.Server
	crypto  *cryptoParts
	// taken is called after each mail committed, for the demo's story.
	taken func(raw []byte, o mailin.Origin)
	// warn holds the warninglists the parser is given.
	warn *warninglists.Set
	// takedown works #takedown jobs and checks the URLs (takedown.go).
	takedown *takedown.Service
	// leader says whether this gateway runs the intake and the timers
	// (leader.go).
	leader *leadership
	// taxii is the TAXII 2.1 server on the listener.
	taxii *taxii.Server
}

// newGateway builds every part from the config and checks it all: a
// mistake names the config key and stops the gateway before it starts.
func newGateway(ctx context.Context, cfg *config.Config, log *slog.Logger) (*gateway, error) {
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, cfg.Errorf("store.path", "%v", err)
	}
	g, err := buildGateway(cfg, log, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return g, nil
}

// buildGateway builds the parts of the gateway over an open store.
func buildGateway(cfg *config.Config, log *slog.Logger, st *store.Store) (g *gateway, err error) {
	g = &gateway{cfg: cfg, log: log, st: st, reg: prometheus.NewRegistry()}
	g.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	g.m = newGatewayMetrics(g.reg, g.st)
	failover := cfg.Store.Failover.Duration
	if failover <= 0 {
		failover = 15 * time.Second
	}
	g.leader = newLeadership(st, failover, g.reg, func(msg string, args ...any) { log.Info(msg, args...) })
	if g.warn, err = loadWarninglists(cfg, log); err != nil {
		return nil, err
	}
	if g.crypto, err = loadCrypto(cfg, st, log); err != nil {
		return nil, err
	}
	g.crypto.count(g.reg)

	g.triage, err = triage.New(g.st, triage.Config{
		Address: cfg.League.Address, Domains: cfg.League.Domains, Secret: []byte(cfg.League.Secret),
		Triagers: cfg.Triage.Triagers, AuthservID: cfg.Triage.AuthservID, AckLimit: cfg.Triage.AcksPerHour,
		AckUnauthenticated: cfg.Triage.AckUnauthenticated, AutoMailsPerHour: cfg.Triage.AutoMailsPerHour, UnsubscribeURL: cfg.UnsubscribeURL(),
		TokenTTL: cfg.Triage.TokenTTL.Duration, FeedTLPMax: cfg.Export.TLPMax,
		Parse:  g.timedParse(),
		Open:   g.crypto.open,
		Logger: log,
	})
	if err != nil {
		return nil, cfg.Errorf("league.address", "%v", err)
	}

	if g.oauth, err = newOAuthSource(cfg, log); err != nil {
		return nil, err
	}
	if g.oauth != nil {
		registerOAuthMetrics(g.reg, g.oauth)
	}
	var smtpTokens, imapTokens oauth.TokenSource
	smtpAuth, _ := oauth.ParseMechanism(cfg.SMTP.Auth)
	imapAuth, _ := oauth.ParseMechanism(cfg.IMAP.Auth)
	if smtpAuth.OAuth() {
		smtpTokens = g.oauth
	}
	if imapAuth.OAuth() {
		imapTokens = g.oauth
	}

	g.sender, err = notify.New(g.st, notify.Config{
		URL: cfg.SMTP.URL, From: cfg.League.Address, Name: cfg.League.Name, Domains: cfg.League.Domains, Lang: cfg.League.Lang,
		CAFile: cfg.SMTP.CAFile, HelloName: cfg.SMTP.Helo, TemplatesDir: cfg.Templates.Dir,
		MinBackoff: cfg.SMTP.RetryMin.Duration, MaxBackoff: cfg.SMTP.RetryMax.Duration,
		AutoMailsPerHour: cfg.Triage.AutoMailsPerHour,
		// Mails claimed by a gateway that died go back after four failovers.
		Claimer: g.leader.holder, ClaimFor: 4 * failover,
		Crypto: g.crypto.notify(cfg),
		DKIM:   notify.DKIM{Domain: cfg.SMTP.DKIMDomain, Selector: cfg.SMTP.DKIMSelector, KeyFile: cfg.SMTP.DKIMKeyFile},
		Auth:   smtpAuth, Tokens: smtpTokens,
		Registerer: g.reg, Logger: log,
	})
	if err != nil {
		return nil, cfg.Errorf("smtp.url", "%v", err)
	}

	if g.takedown, err = buildTakedown(cfg, log, g.st, g.reg, g.sender, g.warn); err != nil {
		return nil, err
	}

	mm := mailin.NewMetrics(g.reg)
	boxes := append([]config.Mailbox{{URL: cfg.IMAP.URL, Processed: cfg.IMAP.Processed, Failed: cfg.IMAP.Failed}}, cfg.IMAP.Mailboxes...)
	for i, b := range boxes {
		key := "imap.url"
		if i > 0 {
			key = "imap.mailboxes"
		}
		in, err := mailin.New(mailin.Config{
			URL: b.URL, Processed: b.Processed, Failed: b.Failed, CAFile: cfg.IMAP.CAFile,
			PollInterval: cfg.IMAP.PollInterval.Duration, IdleRestart: cfg.IMAP.IdleRestart.Duration,
			BatchBytes: cfg.IMAP.BatchBytes.Bytes,
			Auth:       imapAuth, Tokens: imapTokens,
			Logger: log, Metrics: mm,
		}, sink{g})
		if err != nil {
			return nil, cfg.Errorf(key, "%v", err)
		}
		g.intakes = append(g.intakes, in)
	}

	if cfg.Export.Dir != "" {
		g.feeds = &export.Scheduler{
			Interval: cfg.Export.Interval.Duration, Dir: cfg.Export.Dir,
			Load:    func(ctx context.Context) ([]export.Ticket, error) { return feedTickets(ctx, g.st) },
			Options: export.Options{League: cfg.League.Name, TLPMax: cfg.Export.TLPMax},
			Logger:  log,
		}
		if g.feeds.Interval <= 0 {
			g.feeds.Interval = 10 * time.Minute
		}
	}
	if g.sla, err = newSLA(cfg, log, st, g.sender.Wake); err != nil {
		return nil, err
	}
	g.reg.MustRegister(sla.NewCollector(st, g.sla.Targets(), nil))
	if cfg.HTTP.Listen != "" {
		g.taxii = taxii.New(taxiiSource{st}, taxii.Config{
			League: cfg.League.Name, Contact: cfg.League.Address, Public: cfg.TAXII.Public, PublicURL: cfg.HTTP.PublicURL,
			RatePerSecond: cfg.TAXII.RatePerSecond, Burst: cfg.TAXII.Burst,
			RequireTLS: !cfg.TLS() && !cfg.LoopbackListen(),
			Logger:     log, Registerer: g.reg,
		})
		g.http = &http.Server{Addr: cfg.HTTP.Listen, Handler: g.routes(), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	}
	return g, nil
}

// timedParse is the parser, timed for the parse latency histogram.
func (g *gateway) timedParse() func([]byte) *parser.Message {
	opts := parser.Options{Address: g.cfg.League.Address, Domains: g.cfg.League.Domains, Warninglists: g.warn}
	return func(raw []byte) *parser.Message {
		start := time.Now()
		m := parser.Parse(raw, opts)
		g.m.parse.Observe(time.Since(start).Seconds())
		return m
	}
}

// sink hands mailin's mail to triage: the store commits, then the sender
// is woken for what the commit queued.
type sink struct{ g *gateway }

func (s sink) Checkpoint(ctx context.Context, mailbox string) (uint32, uint32, error) {
	return s.g.triage.Checkpoint(ctx, mailbox)
}

func (s sink) Taken(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) ([]uint32, error) {
	return s.g.triage.Taken(ctx, mailbox, uidValidity, uids)
}

func (s sink) Hold(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error {
	err := s.g.triage.Hold(ctx, mailbox, uidValidity, uids)
	if err != nil {
		// The mails were offered and are left in the mailbox, as after a
		// failed Take.
		s.g.m.mails.WithLabelValues("error").Add(float64(len(uids)))
	}
	return err
}

func (s sink) Release(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error {
	return s.g.triage.Release(ctx, mailbox, uidValidity, uids)
}

func (s sink) Recover(ctx context.Context, mailbox string, uidValidity uint32) (map[uint32]int, error) {
	return s.g.triage.Recover(ctx, mailbox, uidValidity)
}

func (s sink) Poison(ctx context.Context, raw []byte, o mailin.Origin, reason string) error {
	err := s.g.triage.Poison(context.WithoutCancel(ctx), raw, triage.Origin(o), reason)
	if err == nil {
		s.g.m.mails.WithLabelValues("poison").Inc()
		s.g.sender.Wake()
	}
	return err
}

func (s sink) Take(ctx context.Context, raw []byte, o mailin.Origin) error {
	if err := ctx.Err(); err != nil {
		return err // stopping: take no new mail
	}
	start := time.Now()
	// The mail in hand is committed even if a stop comes meanwhile: the
	// store's transaction is short, and a half-done take is retried anyway.
	err := s.g.triage.Take(context.WithoutCancel(ctx), raw, triage.Origin(o))
	s.g.m.take.Observe(time.Since(start).Seconds())
	var rej *triage.RejectError
	switch {
	case err == nil:
		s.g.m.mails.WithLabelValues("taken").Inc()
		s.g.sender.Wake()
		if s.g.taken != nil {
			s.g.taken(raw, o)
		}
		return nil
	case errors.As(err, &rej):
		s.g.m.mails.WithLabelValues("rejected").Inc()
		return &mailin.RejectError{Reason: rej.Reason}
	default:
		s.g.m.mails.WithLabelValues("error").Inc()
		return err
	}
}

// TakeBatch takes a fetched batch in group commits (mailin.BatchSink),
// up to and including its first mail that triage refuses: the intake
// moves that one to the Failed folder before any later mail is committed.
func (s sink) TakeBatch(ctx context.Context, mails []mailin.Mail) []error {
	if err := ctx.Err(); err != nil {
		return []error{err} // stopping: take no new mail
	}
	return s.Begin(ctx, mails).Take(ctx)
}

// Begin starts parsing a batch fetched ahead (mailin.BeginSink), up to and
// including its first mail that triage refuses.
func (s sink) Begin(ctx context.Context, mails []mailin.Mail) mailin.Begun {
	batch := make([]triage.Mail, len(mails))
	for i, m := range mails {
		batch[i] = triage.Mail{Raw: m.Raw, Origin: triage.Origin(m.Origin)}
	}
	// As for Take: the batch in hand is committed even if a stop comes.
	return &begun{s: s, mails: mails, b: s.g.triage.BeginUntilRefused(context.WithoutCancel(ctx), batch)}
}

// begun is a batch of the intake being parsed.
type begun struct {
	s     sink
	mails []mailin.Mail
	b     *triage.Batch
}

func (b *begun) Abandon() { b.b.Abandon() }

func (b *begun) Take(ctx context.Context) []error {
	if err := ctx.Err(); err != nil {
		b.b.Abandon()
		return []error{err} // stopping: take no new mail
	}
	s, mails := b.s, b.mails
	start := time.Now()
	errs := b.b.Commit(context.WithoutCancel(ctx))
	each := time.Since(start).Seconds() / float64(max(len(errs), 1))
	for i, err := range errs {
		s.g.m.take.Observe(each)
		var rej *triage.RejectError
		switch {
		case err == nil:
			s.g.m.mails.WithLabelValues("taken").Inc()
			if s.g.taken != nil {
				s.g.taken(mails[i].Raw, mails[i].Origin)
			}
			continue
		case errors.As(err, &rej):
			s.g.m.mails.WithLabelValues("rejected").Inc()
			errs[i] = &mailin.RejectError{Reason: rej.Reason}
		default:
			s.g.m.mails.WithLabelValues("error").Inc()
		}
		s.g.sender.Wake()
		return errs[:i+1]
	}
	s.g.sender.Wake()
	return errs
}

// run runs every part until ctx ends, then stops them in order: no new
// mail, the mail and the SMTP transaction in hand finished, the store
// closed. It returns the first error that stopped a part for good.
func (g *gateway) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	start := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	start("outbox", g.sender.Run)
	// Every gateway writes the feeds it serves on /feeds/: they only read
	// the store, and a standby behind the same load balancer must not
	// serve stale files.
	if g.feeds != nil {
		start("feeds", g.feeds.Run)
	}
	// The intake and the timers run in the one gateway that leads, under
	// a context that ends (and fences its writes) when the lease is lost.
	start("leader", func(ctx context.Context) error {
		g.leader.run(ctx, func(lctx context.Context) {
			var lw sync.WaitGroup
			part := func(name string, fn func(context.Context) error) {
				lw.Add(1)
				go func() {
					defer lw.Done()
					err := fn(lctx)
					if err != nil && lctx.Err() == nil && !isLostLease(err) {
						cancel(fmt.Errorf("%s: %w", name, err))
					}
				}()
			}
			for _, in := range g.intakes {
				part("imap "+in.Name(), in.Run)
			}
			part("takedown", g.takedown.Run)
			part("sla", g.sla.Run)
			lw.Wait()
		})
		return nil
	})
	if g.http != nil {
		ln, err := g.listen(ctx)
		if err != nil {
			cancel(nil)
			wg.Wait()
			return err
		}
		start("http", func(ctx context.Context) error {
			go func() {
				<-ctx.Done()
				sctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer stop()
				g.http.Shutdown(sctx)
			}()
			if err := g.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
	}
	g.log.Info("gateway running", "mailboxes", len(g.intakes), "store", g.st.Path())
	<-ctx.Done()
	g.log.Info("stopping: finishing the mail and the SMTP transaction in hand")
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// close closes the store: after run, or when the gateway never ran.
func (g *gateway) close() error {
	return g.st.Close()
}

func (g *gateway) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", g.healthz)
	mux.HandleFunc(unsubscribePattern, g.unsubscribe)
	mux.Handle("GET /metrics", promhttp.HandlerFor(g.reg, promhttp.HandlerOpts{Registry: g.reg}))
	if g.cfg.Export.Dir != "" {
		mux.Handle("/feeds/", http.StripPrefix("/feeds", export.Handler(g.cfg.Export.Dir)))
	}
	if g.taxii != nil {
		mux.Handle(taxii.DiscoveryPath, g.taxii)
	}
	if h := g.crypto.handler(g.cfg.League.Address); h != nil {
		mux.Handle("/.well-known/openpgpkey/", h)
		mux.Handle("GET /key.asc", h)
	}
	return mux
}
