package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hospital-league/leaguemail/config"
)

// runServe runs the gateway until SIGINT or SIGTERM (main's context), and
// reloads the templates on SIGHUP.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	lazyGC()
	cfg, err := so.load()
	if err != nil {
		return err
	}
	if err := cfg.Require(); err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	g, err := newGateway(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer g.close()
	if cfg.Triage.AuthservID == "" {
		log.Warn("no [triage] authserv_id: no Authentication-Results header is believed, so every report is acknowledged "+
			"whatever its sender (a forged From gets the league's answer) and only reply tokens authenticate triagers; "+
			"set it to the authserv-id your MX writes", "key", "triage.authserv_id")
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			// Contacts are read from the store with every mail: a
			// `contacts import` needs no reload.
			if err := g.sender.Reload(); err != nil {
				log.Error("SIGHUP: templates not reloaded; the old ones stay in use", "error", err)
				continue
			}
			log.Info("SIGHUP: templates reloaded", "dir", cfg.Templates.Dir)
		}
	}()
	if err := g.run(ctx); err != nil {
		return err
	}
	log.Info("stopped cleanly")
	return nil
}

// newLogger writes text for a terminal, or JSON for a log collector.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch c.Level {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// runCheckConfig loads and checks the config, then connects once to each
// IMAP mailbox and to the SMTP server, and says what works.
func runCheckConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	offline := fs.Bool("offline", false, "check the config only; connect to nothing")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	cfg, err := so.load()
	if err != nil {
		return err
	}
	if err := cfg.Require(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	g, err := newGateway(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer g.close()
	fmt.Fprintf(stdout, "config: ok (store %s, %d mailbox(es), league %s, %s)\n", g.st.Path(), len(g.intakes), cfg.League.Address, g.crypto)
	if *offline {
		return nil
	}
	return runCheckConfigWith(ctx, g, stdout)
}

// runCheckConfigWith connects once to every server of g, says how it went
// on w, and fails when one did not work.
func runCheckConfigWith(ctx context.Context, g *gateway, w io.Writer) error {
	failed := 0
	if g.oauth != nil {
		// The token alone first: a failure here is the endpoint's or the
		// app registration's, not the mail server's.
		if _, err := g.oauth.Token(ctx); err != nil {
			failed++
			fmt.Fprintf(w, "oauth: FAILED: %s\n", strings.TrimPrefix(err.Error(), "oauth: "))
		} else {
			st := g.oauth.Status()
			valid := "no expiry given"
			if !st.Expiry.IsZero() {
				valid = "valid until " + st.Expiry.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(w, "oauth: ok (%s token, %s)\n", st.Flow, valid)
		}
	}
	for _, in := range g.intakes {
		n, err := in.Check(ctx)
		if err != nil {
			failed++
			fmt.Fprintf(w, "imap %s: FAILED: %v\n", in.Name(), err)
			continue
		}
		fmt.Fprintf(w, "imap %s: ok (%d messages waiting)\n", in.Name(), n)
	}
	if err := g.sender.Check(ctx); err != nil {
		failed++
		fmt.Fprintf(w, "smtp: FAILED: %v\n", err)
	} else {
		fmt.Fprintln(w, "smtp: ok")
	}
	if failed > 0 {
		return fmt.Errorf("%d server(s) could not be reached or refused the login; see above", failed)
	}
	return nil
}
