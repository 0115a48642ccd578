package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hospital-league/leaguemail/config"
)

// runPurge drops raw mail, attachments and mail text past the retention
// period, keeping tickets, events and indicators: the institutions'
// data-protection rules limit how long reporters' mail is kept.
func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	var older config.Duration
	fs.TextVar(&older, "older-than", config.Duration{}, "drop mail received longer ago than this `period` (180d, 720h); default [store] retention")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, err := so.load()
	if err != nil {
		return err
	}
	if older.Duration == 0 {
		older = cfg.Store.Retention
	}
	if older.Duration <= 0 {
		return fmt.Errorf("%w: say how old mail must be to go: purge --older-than 180d, or set [store] retention", errUsage)
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	cutoff := time.Now().Add(-older.Duration)
	p, err := st.Purge(ctx, cutoff)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "purge: mail received before %s: %d raw mails and %d parse results dropped, %d sent mails' data dropped; tickets and indicators kept\n",
		cutoff.UTC().Format(time.RFC3339), p.Raw, p.Parses, p.Outbox)
	return nil
}
