package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// runTakedowns lists the open takedown requests: asked, answered or back
// up, not yet down.
func runTakedowns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("takedowns", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON document")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "list" {
		return fmt.Errorf("%w: takedowns list [--json]", errUsage)
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rs, err := st.TakedownRequests(ctx, 0, true)
	if err != nil {
		return err
	}
	if *asJSON {
		if rs == nil {
			rs = []store.TakedownRequest{}
		}
		return writeJSON(stdout, rs)
	}
	printRequests(stdout, rs, true)
	if len(rs) == 0 {
		fmt.Fprintln(stdout, "(no open takedown requests)")
	}
	return nil
}

func printRequests(w io.Writer, rs []store.TakedownRequest, withTicket bool) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if withTicket {
		fmt.Fprintln(tw, "TICKET\tSTATE\tREQUESTED\tTO\tVIA\tINDICATOR")
	}
	for _, r := range rs {
		if withTicket {
			fmt.Fprintf(tw, "#%d\t", r.Ticket)
		} else {
			fmt.Fprint(tw, "  ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.State, r.RequestedAt.Local().Format(dateFormat), r.Contact, r.Source,
			indicator.Defang(indicator.Indicator{Type: indicator.Type(r.Type), Value: r.Value}))
	}
	tw.Flush()
}

// ticketTakedowns is what `tickets show` adds for takedowns.
type ticketTakedowns struct {
	*store.TicketDetail
	Takedowns []store.TakedownRequest `json:"takedowns"`
	Checks    []store.Check           `json:"checks"`
}

func withTakedowns(ctx context.Context, st *store.Store, d *store.TicketDetail) (*ticketTakedowns, error) {
	rs, err := st.TakedownRequests(ctx, d.Ticket.Number, false)
	if err != nil {
		return nil, err
	}
	cs, err := st.Checks(ctx, d.Ticket.Number, 10)
	if err != nil {
		return nil, err
	}
	if rs == nil {
		rs = []store.TakedownRequest{}
	}
	if cs == nil {
		cs = []store.Check{}
	}
	return &ticketTakedowns{TicketDetail: d, Takedowns: rs, Checks: cs}, nil
}

// printTakedowns ends `tickets show` with the ticket's takedown
// requests and its last checks.
func printTakedowns(w io.Writer, t *ticketTakedowns) {
	if len(t.Takedowns) == 0 {
		return
	}
	fmt.Fprintf(w, "\nTakedown requests (%d):\n", len(t.Takedowns))
	printRequests(w, t.Takedowns, false)
	if len(t.Checks) == 0 {
		return
	}
	fmt.Fprintf(w, "\nLast checks:\n")
	for _, c := range t.Checks {
		what := c.Verdict
		if c.Status != 0 {
			what = fmt.Sprintf("HTTP %d, %s", c.Status, c.Verdict)
		}
		if c.Error != "" {
			what += " (" + c.Error + ")"
		}
		fmt.Fprintf(w, "  %s  %s  %s\n", c.At.Local().Format(dateFormat),
			indicator.Defang(indicator.Indicator{Type: "url", Value: c.URL}), what)
	}
}
