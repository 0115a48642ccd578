package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/warninglists"
)

// runParse prints what the parser makes of each file: one JSON object a
// line with --json (the parse contract of DESIGN.md), else a summary for
// a person. No store, no network.
func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("parse", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	address := fs.String("address", envOr("LEAGUEMAIL_LEAGUE_ADDRESS", ""), "the league's contact address (for reply tokens)")
	domains := fs.String("domains", envOr("LEAGUEMAIL_LEAGUE_DOMAINS", ""), "the league's own domains, comma-separated")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "parse this many files at once (output stays in the order given)")
	lists := fs.String("warninglists", envOr("LEAGUEMAIL_PARSER_WARNINGLISTS", ""), "a misp-warninglists checkout (its lists folder); the embedded lists when empty")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%w: give one or more mail files (or - for standard input)", errUsage)
	}
	lazyGC()
	opts := parser.Options{Address: *address}
	if *lists != "" {
		set, _, err := warninglists.Load(*lists)
		if err != nil {
			return fmt.Errorf("--warninglists: %w", err)
		}
		opts.Warninglists = set
	}
	for _, d := range strings.Split(*domains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			opts.Domains = append(opts.Domains, d)
		}
	}
	failed := 0
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	type parsed struct {
		m   *parser.Message
		err error
	}
	names := fs.Args()
	if slices.Contains(names, "-") {
		*jobs = 1 // standard input is read once, in its turn
	}
	err := inOrder(ctx, len(names), *jobs, func(i int) parsed {
		m, err := parseFile(names[i], opts)
		return parsed{m, err}
	}, func(_ int, p parsed) error {
		if p.err != nil || p.m.NotMail() {
			failed++
		}
		if *asJSON {
			if err := enc.Encode(p.m); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
			return nil
		}
		printSummary(stdout, p.m)
		return nil
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be read as mail; see their errors", failed, fs.NArg())
	}
	return nil
}

func parseFile(name string, opts parser.Options) (*parser.Message, error) {
	var raw []byte
	var err error
	if name == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(name)
	}
	if err != nil {
		m := parser.Unreadable(fmt.Sprintf("reading %s: %v", name, errors.Unwrap(err)))
		m.File = name
		return m, err
	}
	m := parser.Parse(raw, opts)
	m.File = name
	return m, nil
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// printSummary writes the readable form of one parse: indicators defanged,
// so that a terminal or a paste into a chat makes no live link.
func printSummary(w io.Writer, m *parser.Message) {
	fmt.Fprintf(w, "%s: %s from %s\n", m.File, m.Kind, orDash(m.From))
	fmt.Fprintf(w, "  subject:    %s\n", orDash(m.Subject))
	if !m.Date.IsZero() {
		fmt.Fprintf(w, "  date:       %s\n", m.Date.Format("2006-01-02 15:04:05 MST"))
	}
	fmt.Fprintf(w, "  message-id: %s\n", orDash(m.MessageID))
	if m.TicketRef != nil {
		fmt.Fprintf(w, "  ticket:     #%d\n", *m.TicketRef)
	}
	if m.AutoReason != "" {
		fmt.Fprintf(w, "  why:        %s\n", m.AutoReason)
	}
	if m.NoAnswer != "" {
		fmt.Fprintf(w, "  no answer:  %s\n", m.NoAnswer)
	}
	if m.Bounce != nil {
		fmt.Fprintf(w, "  bounce:     status %s, returns %s\n", orDash(m.Bounce.Status), orDash(m.Bounce.OriginalMessageID))
	}
	for _, c := range m.Commands {
		fmt.Fprintf(w, "  command:    %s\n", c.Line)
	}
	for _, f := range m.Evidence {
		fmt.Fprintf(w, "  forwarded:  %s mail from %s, %q (depth %d)\n", f.How, orDash(f.From), f.Subject, f.Depth)
	}
	if len(m.Attachments) > 0 {
		fmt.Fprintf(w, "  attachments (%d):\n", len(m.Attachments))
		for _, a := range m.Attachments {
			in := ""
			if a.Container != "" {
				in = " in " + a.Container
			}
			fmt.Fprintf(w, "    %-30s %-28s %9d B  sha256 %s  depth %d%s\n", a.Filename, orDash(a.SniffedType), a.Size, orDash(a.SHA256), a.Depth, in)
		}
	}
	fmt.Fprintf(w, "  indicators (%d):\n", len(m.Indicators))
	for _, ind := range m.Indicators {
		fmt.Fprintf(w, "    %-7s %-50s %s [%s]\n", ind.Type, indicator.Defang(indicator.Indicator{Type: indicator.Type(ind.Type), Value: ind.Value}),
			strings.Join(ind.Sources, ","), layers(ind.Layers))
	}
	for _, c := range m.Context {
		if c.Warning != "" {
			fmt.Fprintf(w, "    context %-7s %-42s %s\n", c.Type, indicator.Defang(indicator.Indicator{Type: indicator.Type(c.Type), Value: c.Value}), c.Warning)
		}
	}
	for _, d := range m.DeceptiveLinks {
		fmt.Fprintf(w, "  deceptive link: shows %s, goes to %s\n",
			indicator.Defang(indicator.Indicator{Type: indicator.URL, Value: d.Shown}), indicator.Defang(indicator.Indicator{Type: indicator.URL, Value: d.Target}))
	}
	for _, e := range m.Errors {
		fmt.Fprintf(w, "  error:      %s\n", e)
	}
}

func layers(ls []parser.Layer) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = string(l)
	}
	return strings.Join(s, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
