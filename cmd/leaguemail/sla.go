package main

import (
	"errors"
	"log/slog"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/sla"
	"github.com/hospital-league/leaguemail/store"
)

// slaTargets are the targets of [sla] targets, each severity and value
// left out taking its default.
func slaTargets(c config.SLA) sla.Targets {
	ts := sla.DefaultTargets()
	for sev, t := range c.Targets {
		d := ts[sev]
		if t.Response.Duration > 0 {
			d.Response = t.Response.Duration
		}
		if t.Resolve.Duration > 0 {
			d.Resolve = t.Resolve.Duration
		}
		ts[sev] = d
	}
	return ts
}

// newSLA builds the monitor of the response targets from [sla]; a shift
// that does not parse names its key.
func newSLA(cfg *config.Config, log *slog.Logger, st *store.Store, wake func()) (*sla.Monitor, error) {
	m, err := sla.New(st, sla.Config{
		Address: cfg.League.Address, Triagers: cfg.Triage.Triagers, Targets: slaTargets(cfg.SLA),
		OnCall: cfg.SLA.OnCall, EscalateTo: cfg.SLA.EscalateTo, DigestAt: cfg.SLA.DigestTime(),
		Interval: cfg.SLA.Interval.Duration, Tokens: replytoken.New([]byte(cfg.League.Secret)),
		AutoMailsPerHour: cfg.Triage.AutoMailsPerHour, Wake: wake, Logger: log,
	})
	var se *sla.ShiftError
	switch {
	case errors.As(err, &se):
		return nil, cfg.Errorf("sla.oncall."+se.Triager, "%v", se.Err)
	case err != nil:
		return nil, cfg.Errorf("sla.targets", "%v", err)
	}
	return m, nil
}
