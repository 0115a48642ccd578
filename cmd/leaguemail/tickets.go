package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// runTickets lists tickets or shows one.
func runTickets(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tickets", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON document")
	state := fs.String("state", "", "list only tickets in this `state`")
	overdue := fs.Bool("overdue", false, "list only the open tickets past their response or resolve target")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	const usage = "tickets list [--state S] [--overdue] [--json] | tickets show N [--json]"
	if len(pos) == 0 {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	switch {
	case pos[0] == "list" && len(pos) == 1:
		cfg, err := so.load()
		if err != nil {
			return err
		}
		st, err := so.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		ts, err := st.Tickets(ctx, store.TicketFilter{State: store.State(*state)})
		if err != nil {
			return err
		}
		lines, err := withDue(ctx, st, slaTargets(cfg.SLA), ts, time.Now(), *overdue)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, lines)
		}
		printTickets(termWriter{stdout}, lines)
		return nil
	case pos[0] == "show" && len(pos) == 2:
		n, err := strconv.ParseInt(strings.TrimPrefix(pos[1], "#"), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: %q is not a ticket number", errUsage, pos[1])
		}
		st, err := so.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		d, err := st.TicketDetail(ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no ticket #%d in %s; 'leaguemail tickets list' shows them", n, st.Path())
		}
		if err != nil {
			return err
		}
		td, err := withTakedowns(ctx, st, d) // takedowns.go
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(stdout, td)
		}
		printTicket(termWriter{stdout}, d)
		printTakedowns(termWriter{stdout}, td)
		return nil
	}
	return fmt.Errorf("%w: %s", errUsage, usage)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

const dateFormat = "2006-01-02 15:04"

func printTickets(w io.Writer, ts []ticketLine) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TICKET\tSTATE\tOPENED\tDUE\tREPORTER\tMAILS\tIOCS\tSUBJECT")
	for _, t := range ts {
		state := string(t.State)
		if t.Waiting {
			state = "waiting"
		}
		if t.Flagged {
			state += "!"
		}
		fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", t.Number, state, t.CreatedAt.Local().Format(dateFormat),
			t.dueText(), dashIfEmpty(t.Reporter), t.Mails, t.Indicators, clip(t.Subject, 60))
	}
	tw.Flush()
	if len(ts) == 0 {
		fmt.Fprintln(w, "(no tickets)")
	}
}

func printTicket(w io.Writer, d *store.TicketDetail) {
	t := d.Ticket
	fmt.Fprintf(w, "Ticket #%d: %s\n", t.Number, t.Subject)
	fmt.Fprintf(w, "  state     %s", t.State)
	if t.Flagged {
		fmt.Fprint(w, " (flagged: see the events)")
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  reporter  %s", dashIfEmpty(t.Reporter))
	if t.ReporterName != "" {
		fmt.Fprintf(w, " (%s)", t.ReporterName)
	}
	fmt.Fprintln(w)
	if t.Institution != nil {
		fmt.Fprintf(w, "  from      %s %s\n", t.Institution.Name, t.Institution.Country)
	}
	fmt.Fprintf(w, "  opened    %s, updated %s\n", t.CreatedAt.Local().Format(dateFormat), t.UpdatedAt.Local().Format(dateFormat))
	if t.Follows != 0 {
		fmt.Fprintf(w, "  follows   #%d\n", t.Follows)
	}
	var ps []string
	for _, p := range d.Participants {
		ps = append(ps, p.Email+" ("+p.Role+")")
	}
	fmt.Fprintf(w, "  people    %s\n", strings.Join(ps, ", "))

	fmt.Fprintf(w, "\nConversation (%d):\n", len(d.Conversation))
	for _, e := range d.Conversation {
		switch {
		case e.In != nil:
			m := e.In
			fmt.Fprintf(w, "  %s  <- %s  %s [%s", e.At.Local().Format(dateFormat), dashIfEmpty(m.From), m.Subject, m.Role)
			if m.MatchedBy != "" {
				fmt.Fprintf(w, ", by %s", m.MatchedBy)
			}
			if m.Flagged {
				fmt.Fprint(w, ", FLAGGED")
			}
			fmt.Fprintln(w, "]")
			var pm parser.Message
			if json.Unmarshal(m.Parse, &pm) == nil && pm.Text != "" {
				for _, l := range excerpt(pm.Text, 8) {
					fmt.Fprintf(w, "      | %s\n", l)
				}
			}
			for _, e := range m.Errors {
				fmt.Fprintf(w, "      ! %s\n", e)
			}
		case e.Outbox != nil:
			o := e.Outbox
			fmt.Fprintf(w, "  %s  -> %s  %s [%s, %s]\n", e.At.Local().Format(dateFormat),
				strings.Join(o.Recipients, ", "), o.Subject, o.Kind, o.State)
		}
	}

	fmt.Fprintf(w, "\nIndicators (%d, defanged):\n", len(d.Indicators))
	for _, in := range d.Indicators {
		v := indicator.Defang(indicator.Indicator{Type: indicator.Type(in.Type), Value: in.Value})
		fmt.Fprintf(w, "  %-7s %s  [%s; %s]", in.Type, v, strings.Join(in.Layers, ","), strings.Join(in.Sources, ","))
		switch {
		case in.Pending:
			fmt.Fprintf(w, "  PENDING, from %s: #accept to count it", strings.Join(in.PendingFrom, ", "))
		case in.Verified:
			fmt.Fprint(w, "  verified")
		}
		fmt.Fprintln(w)
	}
	if len(d.Correlations) > 0 {
		fmt.Fprintln(w, "\nSeen in other reports:")
		for _, c := range d.Correlations {
			v := indicator.Defang(indicator.Indicator{Type: indicator.Type(c.Type), Value: c.Value})
			var ts []string
			for _, n := range c.Tickets {
				ts = append(ts, "#"+strconv.FormatInt(n, 10))
			}
			fmt.Fprintf(w, "  %-7s %s  %s, first on %s\n", c.Type, v, strings.Join(ts, " "), c.FirstSeen.Local().Format("2006-01-02"))
		}
	}

	fmt.Fprintf(w, "\nEvents (%d):\n", len(d.Events))
	for _, e := range d.Events {
		fmt.Fprintf(w, "  %s  %-16s %s: %s\n", e.At.Local().Format(dateFormat), e.Kind, e.Actor, e.Detail)
	}

	fmt.Fprintf(w, "\nOutbox (%d):\n", len(d.Outbox))
	printOutbox(w, d.Outbox, false)
}

func excerpt(text string, n int) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if len(out) == n {
			out = append(out, "...")
			break
		}
		out = append(out, clip(strings.TrimRight(l, "\r "), 100))
	}
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(dateFormat)
}
