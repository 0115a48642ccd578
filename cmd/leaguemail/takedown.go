package main

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/notify"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/takedown"
	"github.com/hospital-league/leaguemail/warninglists"
)

// buildTakedown builds the takedown timers of serve from [takedown]: the
// RDAP bootstrap, the resolver, the checker and its proxy.
func buildTakedown(cfg *config.Config, log *slog.Logger, st *store.Store, reg prometheus.Registerer, sender *notify.Sender,
	warn *warninglists.Set) (*takedown.Service, error) {
	t := cfg.Takedown
	bs, err := takedown.NewBootstrap(t.RDAPBootstrap, &http.Client{Timeout: 30 * time.Second}, nil)
	if err != nil {
		return nil, cfg.Errorf("takedown.rdap_bootstrap", "%v", err)
	}
	var res takedown.Resolver
	if t.Resolve {
		if res, err = takedown.NewResolver(t.Resolver); err != nil {
			return nil, cfg.Errorf("takedown.resolver", "%v", err)
		}
	}
	checker, err := takedown.NewChecker(t.CheckProxy, t.CheckTimeout.Duration)
	if err != nil {
		return nil, cfg.Errorf("takedown.check_proxy", "%v", err)
	}
	svc, err := takedown.New(st, takedown.Config{
		Address: cfg.League.Address, Name: cfg.League.Name, Domains: cfg.League.Domains,
		Secret: []byte(cfg.League.Secret), Triagers: cfg.Triage.Triagers,
		Bootstrap: bs, RDAP: takedown.NewRDAP(nil), Resolve: t.Resolve, Resolver: res, Checker: checker,
		CheckInterval: t.CheckInterval.Duration, CheckMax: t.CheckMax.Duration, WatchFor: t.WatchFor.Duration,
		Queued: sender.Wake, Metrics: takedown.NewMetrics(reg), Logger: log.With("part", "takedown"),
		// A well-known site on a warninglist (a CDN, a mail provider) is
		// never asked to be taken down.
		Warninglisted: warn.Match,
	})
	if err != nil {
		return nil, cfg.Errorf("league.address", "%v", err)
	}
	return svc, nil
}
