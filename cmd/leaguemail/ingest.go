package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/hospital-league/leaguemail/mailin"
	"github.com/hospital-league/leaguemail/triage"
)

// ingestGroupBytes bounds the bytes of mail committed in one transaction.
const ingestGroupBytes = 32 << 20

// runIngest takes .eml files, mbox files and Maildir folders into the
// store, exactly as if they came over IMAP: tickets are opened and mails
// queued, not sent.
func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	address := fs.String("address", "", "the league's contact `address` ([league] address; report@league.example when unset)")
	domains := fs.String("domains", "", "the league's own `domains`, comma-separated ([league] domains)")
	triagers := fs.String("triagers", "", "triager `addresses`, comma-separated ([triage] triagers)")
	verbose := fs.Bool("v", false, "log every mail taken in")
	jobs := fs.Int("j", runtime.GOMAXPROCS(0), "parse this many mails at once")
	group := fs.Int("group", 64, "commit up to this many mails in one transaction (one fsync)")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%w: ingest [--config F] [--db F] PATH... (.eml and .msg files, mbox files, Maildir folders, folders of those)", errUsage)
	}
	lazyGC()
	cfg, err := so.load()
	if err != nil {
		return err
	}
	if *address != "" {
		cfg.League.Address = *address
	}
	if cfg.League.Address == "" {
		cfg.League.Address = "report@league.example"
	}
	if *domains != "" {
		cfg.League.Domains = splitList(*domains)
	}
	if *triagers != "" {
		cfg.Triage.Triagers = splitList(*triagers)
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	secret := []byte(cfg.League.Secret)
	if len(secret) == 0 {
		// No configured key: one kept in the store keeps tokens valid
		// from run to run.
		if secret, err = st.Secret(ctx, "reply-token"); err != nil {
			return err
		}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	warn, err := loadWarninglists(cfg, log)
	if err != nil {
		return err
	}
	// Ingested mail is opened as served mail is: decrypted with the
	// league's key, signatures verified against the contacts' keys.
	cp, err := loadCrypto(cfg, st, log)
	if err != nil {
		return err
	}
	g, err := triage.New(st, triage.Config{Address: cfg.League.Address, Domains: cfg.League.Domains, Secret: secret,
		Triagers: cfg.Triage.Triagers, AuthservID: cfg.Triage.AuthservID, AckLimit: cfg.Triage.AcksPerHour,
		AckUnauthenticated: cfg.Triage.AckUnauthenticated, AutoMailsPerHour: cfg.Triage.AutoMailsPerHour, TokenTTL: cfg.Triage.TokenTTL.Duration, Logger: log,
		Warninglists: warn, Open: cp.open, Workers: *jobs, GroupMails: *group, GroupBytes: ingestGroupBytes})
	if err != nil {
		return fmt.Errorf("%w; check --address", err)
	}
	before, err := st.Counts(ctx)
	if err != nil {
		return err
	}
	var n, rejected int
	var bytesIn int64
	start := time.Now()
	// Mails are handed to triage two groups at a time, each batch begun
	// (parsing) before the one before it commits, so that neither the
	// parsers nor the commits wait at a batch's edge. Larger batches left
	// the cores idle while the first was read, and its parsers waiting for
	// a commit to start (the corpus: 940-995 mails/s with two groups,
	// 850-920 with eight, 820-880 with one).
	var pending []triage.Mail
	var pendingBytes int
	var prev *triage.Batch
	var prevMails []triage.Mail
	commit := func() error {
		if prev == nil {
			return nil
		}
		errs := prev.Commit(ctx)
		mails := prevMails
		prev, prevMails = nil, nil
		for i, err := range errs {
			var rej *triage.RejectError
			if errors.As(err, &rej) {
				rejected++
				o := mails[i].Origin
				log.Warn("mail refused", "origin", o.Mailbox, "uid", o.UID, "reason", rej.Reason)
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	flush := func() error {
		next := g.Begin(ctx, pending)
		if err := commit(); err != nil {
			next.Abandon()
			return err
		}
		prev, prevMails = next, pending
		pending, pendingBytes = nil, 0
		return nil
	}
	err = mailin.ReadFiles(ctx, paths, func(raw []byte, o mailin.Origin) error {
		n++
		bytesIn += int64(len(raw))
		pending = append(pending, triage.Mail{Raw: raw, Origin: triage.Origin(o)})
		pendingBytes += len(raw)
		if len(pending) >= 2*max(*group, 1) || pendingBytes >= 2*ingestGroupBytes {
			return flush()
		}
		return nil
	})
	if err == nil && len(pending) > 0 {
		err = flush()
	}
	// A batch still begun followed batches that all committed: it is
	// committed even when reading a file failed after it, as the mails
	// read before an error always were.
	err = errors.Join(err, commit())
	elapsed := time.Since(start)
	after, cerr := st.Counts(ctx)
	if cerr != nil {
		return errors.Join(err, cerr)
	}
	rate := float64(n) / elapsed.Seconds()
	fmt.Fprintf(stdout, "ingest: %d mails (%.1f MB) in %.1fs: %.0f mails/s; %d new, %d already taken, %d refused\n",
		n, float64(bytesIn)/1e6, elapsed.Seconds(), rate, after.Mails-before.Mails, n-rejected-(after.Mails-before.Mails), rejected)
	fmt.Fprintf(stdout, "ingest: %d tickets opened, %d mails queued; the store %s holds %d mails, %d tickets\n",
		after.Tickets-before.Tickets, after.Outbox-before.Outbox, st.Path(), after.Mails, after.Tickets)
	if err != nil {
		return fmt.Errorf("%w; mails taken in so far are kept, and running ingest again takes none twice", err)
	}
	return nil
}
