package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/store"
)

const exportUsage = "export --format stix|misp|csv --out PATH [--all] [--since T] [--tlp-max green] [--db F]"

// runExport writes one of the league's feeds from the store: a STIX 2.1
// bundle or CSV to a file (or standard output), or a MISP feed folder.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	format := fs.String("format", "", "`stix`, misp or csv")
	out := fs.String("out", "", "the `path` to write: a file for stix and csv (- for standard output), a folder for misp")
	all := fs.Bool("all", false, "export unverified indicators and rejected tickets too")
	since := fs.String("since", "", "only tickets updated, or with an indicator seen, since `T`: RFC 3339, a date, or a duration like 30d or 12h")
	tlpMax := fs.String("tlp-max", "", "the strictest `TLP` to export: clear, green, amber, amber+strict or red ([export] tlp_max, green by default)")
	league := fs.String("league", "", "the league's `name` in the feeds; it seeds every id, so keep it ([league] name)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q; %s", errUsage, fs.Arg(0), exportUsage)
	}
	switch {
	case *format != "stix" && *format != "misp" && *format != "csv":
		return fmt.Errorf("%w: --format must be stix, misp or csv; %s", errUsage, exportUsage)
	case *out == "":
		return fmt.Errorf("%w: --out is missing; %s", errUsage, exportUsage)
	case *format == "misp" && *out == "-":
		return fmt.Errorf("%w: a MISP feed is a folder: give --out DIR", errUsage)
	}
	cfg, err := so.load()
	if err != nil {
		return err
	}
	if *tlpMax == "" {
		*tlpMax = cfg.Export.TLPMax
	}
	if *league == "" {
		*league = cfg.League.Name
	}
	if _, err := export.ParseTLP(*tlpMax); err != nil {
		return fmt.Errorf("%w: --tlp-max: %v", errUsage, err)
	}
	opts := export.Options{League: *league, TLPMax: *tlpMax, All: *all}
	if *since != "" {
		t, err := parseSince(*since, time.Now())
		if err != nil {
			return fmt.Errorf("%w: --since: %v", errUsage, err)
		}
		opts.Since = t
	}
	// Opening creates a missing store: an export from a mistyped path
	// would be a silently empty feed.
	if _, err := os.Stat(cfg.Store.Path); cfg.Store.URL == "" && errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no store at %s; check --db or [store] path", cfg.Store.Path)
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := feedTickets(ctx, st)
	if err != nil {
		return err
	}
	kept, err := export.Filter(ts, opts)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var write func(io.Writer) error
	switch *format {
	case "stix":
		write = func(w io.Writer) error { return export.WriteSTIX(w, ts, opts) }
	case "csv":
		write = func(w io.Writer) error { return export.WriteCSV(w, ts, opts) }
	case "misp":
		err = export.WriteMISP(*out, ts, opts)
	}
	switch {
	case write != nil && *out == "-":
		err = write(stdout)
	case write != nil:
		err = export.WriteFile(*out, write)
	}
	if err != nil {
		return fmt.Errorf("%w; check --out", err)
	}
	if *out != "-" {
		what := "verified indicators"
		if *all {
			what = "indicators, verified or not,"
		}
		fmt.Fprintf(stdout, "export: %s: %d %s of %d tickets, TLP up to %s, written to %s\n",
			*format, countIndicators(kept), what, len(kept), *tlpMax, *out)
	}
	return nil
}

// feedTickets loads every ticket with indicators from the store as the
// export package reads them. It is what a scheduled export loads too.
func feedTickets(ctx context.Context, st *store.Store) ([]export.Ticket, error) {
	fts, err := st.FeedTickets(ctx)
	if err != nil {
		return nil, err
	}
	return exportTickets(fts), nil
}

// exportTickets turns the store's feed tickets into the export's.
func exportTickets(fts []store.FeedTicket) []export.Ticket {
	ts := make([]export.Ticket, len(fts))
	for i, ft := range fts {
		t := export.Ticket{Number: ft.Number, Created: ft.CreatedAt, Updated: ft.UpdatedAt,
			Severity: ft.Severity, TLP: ft.TLP, State: string(ft.State)}
		for _, in := range ft.Indicators {
			t.Indicators = append(t.Indicators, export.Indicator{Type: in.Type, Value: in.Value,
				FirstSeen: in.FirstSeen, LastSeen: in.LastSeen, Verified: in.Verified})
		}
		ts[i] = t
	}
	return ts
}

func countIndicators(ts []export.Ticket) int {
	seen := make(map[[2]string]bool)
	for _, t := range ts {
		for _, in := range t.Indicators {
			seen[[2]string{in.Type, in.Value}] = true
		}
	}
	return len(seen)
}

// parseSince reads --since: an RFC 3339 time, a date (midnight UTC), or
// a duration back from now, in Go's units or in days ("30d").
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a time, a date or a duration like 30d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return time.Time{}, fmt.Errorf("%q is not a time, a date or a duration like 30d", s)
		}
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("%q is negative", s)
	}
	return now.Add(-d), nil
}
