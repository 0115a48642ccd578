package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hospital-league/leaguemail/store"
)

// runOutbox lists the mails the gateway has queued, sent, or will not send.
func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outbox", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON document")
	state := fs.String("state", "", "list only mails in this `state` (queued, sent, failed, suppressed)")
	ticket := fs.Int64("ticket", 0, "list only the mails of this ticket")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "list" {
		return fmt.Errorf("%w: outbox list [--state S] [--ticket N] [--json]", errUsage)
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ms, err := st.Outbox(ctx, store.OutboxFilter{Ticket: *ticket, State: store.OutboxState(*state)})
	if err != nil {
		return err
	}
	if *asJSON {
		if ms == nil {
			ms = []store.OutboxMail{}
		}
		return writeJSON(stdout, ms)
	}
	printOutbox(termWriter{stdout}, ms, true)
	return nil
}

func printOutbox(w io.Writer, ms []store.OutboxMail, withTicket bool) {
	if len(ms) == 0 {
		fmt.Fprintln(w, "  (none)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTICKET\tKIND\tSTATE\tQUEUED\tTO\tSUBJECT\tNOTE")
	for _, m := range ms {
		note := m.LastError
		if m.DSNStatus != "" {
			note = m.DSNStatus + " " + note
		}
		if m.Attempts > 0 {
			note = fmt.Sprintf("%d attempts; %s", m.Attempts, note)
		}
		tk := "-"
		if m.Ticket != 0 {
			tk = fmt.Sprintf("#%d", m.Ticket)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, tk, m.Kind, m.State, fmtTime(m.CreatedAt),
			dashIfEmpty(strings.Join(m.Recipients, ", ")), clip(m.Subject, 50), clip(note, 60))
	}
	tw.Flush()
	_ = withTicket
}
