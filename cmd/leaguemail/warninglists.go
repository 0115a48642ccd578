package main

import (
	"log/slog"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/warninglists"
)

// loadWarninglists reads the checkout that [parser] warninglists names, or
// returns the embedded lists when none is set. A checkout that cannot be
// read stops the gateway, naming the key: without its lists, Office 365's
// relays would go to the CERTs as indicators.
func loadWarninglists(cfg *config.Config, log *slog.Logger) (*warninglists.Set, error) {
	dir := cfg.Parser.Warninglists
	if dir == "" {
		return warninglists.Default(), nil
	}
	set, warns, err := warninglists.Load(dir)
	if err != nil {
		return nil, cfg.Errorf("parser.warninglists", "%v", err)
	}
	for _, w := range warns {
		log.Warn("warninglist entries skipped", "err", w)
	}
	log.Info("warninglists loaded", "dir", dir, "lists", set.Len())
	return set, nil
}
