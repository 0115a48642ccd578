// Command leaguemail is the league's mail gateway: it reads reports from the
// contact mailbox, opens tickets, answers reporters and escalates to CERTs.
//
// See DESIGN.md for the command-line contract; every subcommand lives in a
// file of its own here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks a mistake in how the command was called: exit status 2.
var errUsage = errors.New("usage")

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"demo", "run the whole gateway on embedded servers with sample reports", runDemo},
		{"serve", "run the gateway: serve [--config F]", runServe},
		{"check-config", "check the config and connect once to IMAP and SMTP: check-config [--config F] [--offline]", runCheckConfig},
		{"oauth", "sign a mailbox in once with OAuth (device code) and write the refresh token: oauth login --provider google|microsoft [--config F]", runOAuth},
		{"parse", "parse mail files offline: parse [--json] FILE...", runParse},
		{"ingest", "take .eml, mbox and Maildir files into the store: ingest [--db F] PATH...", runIngest},
		{"tickets", "list or show tickets: tickets list|show N [--json]", runTickets},
		{"outbox", "list queued mails: outbox list [--json]", runOutbox},
		{"contacts", "import or list CERTs, institutions, triagers, abuse desks, LE: contacts import FILE.csv | contacts list [--json]", runContacts},
		{"keys", "the league's OpenPGP key and contacts' keys: keys generate | keys import FILE.asc|FILE.pem... | keys list [--json]", runKeys},
		{"takedowns", "list the open takedown requests: takedowns list [--json]", runTakedowns},
		{"taxii", "API keys of the TAXII 2.1 server: taxii keys add NAME --tlp amber [--country FR] [--sector health] | taxii keys list | taxii keys revoke NAME", runTAXII},
		{"export", "write the STIX 2.1, MISP or CSV feed: export --format stix|misp|csv --out PATH", runExport},
		{"purge", "drop raw mail past retention, keep tickets: purge --older-than 180d", runPurge},
		{"migrate", "copy a SQLite store into an empty PostgreSQL one, checked: migrate --from sqlite:PATH --to postgres://...", runMigrate},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status of DESIGN.md:
// 0 success, 1 a failure the user must act on, 2 wrong usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(stderr, "leaguemail %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "leaguemail %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "leaguemail: unknown command %q; run 'leaguemail help' for the list\n", args[0])
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: leaguemail COMMAND [options]")
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
}

// parseFlags parses a subcommand's flags. Errors come back as one line
// wrapped in errUsage (exit 2); -h prints the flags to stderr.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return fmt.Errorf("%w: see the flags above", errUsage)
	}
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}
