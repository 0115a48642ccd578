package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// storeOptions are the flags shared by the commands that open the store.
// Until configuration files land, these flags and the environment are the
// configuration.
type storeOptions struct {
	db string
}

func (o *storeOptions) register(fs *flag.FlagSet) {
	def := os.Getenv("LEAGUEMAIL_STORE_PATH")
	if def == "" {
		def = "leaguemail.db"
	}
	fs.StringVar(&o.db, "db", def, "the store's `file` (env LEAGUEMAIL_STORE_PATH)")
}

func (o *storeOptions) open(ctx context.Context) (*store.Store, error) {
	st, err := store.Open(ctx, o.db)
	if err != nil {
		return nil, fmt.Errorf("%w; check --db or LEAGUEMAIL_STORE_PATH", err)
	}
	return st, nil
}

// parseArgs parses flags given before, between or after the positional
// arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func ingestEnv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, f)
	}
	return out
}

// runIngest takes .eml files, mbox files and Maildir folders into the
// store, exactly as if they came over IMAP: tickets are opened and mails
// queued, not sent.
func runIngest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	address := fs.String("address", ingestEnv("LEAGUEMAIL_LEAGUE_ADDRESS", "report@league.example"), "the league's contact `address` (env LEAGUEMAIL_LEAGUE_ADDRESS)")
	domains := fs.String("domains", os.Getenv("LEAGUEMAIL_LEAGUE_DOMAINS"), "the league's own `domains`, comma-separated (env LEAGUEMAIL_LEAGUE_DOMAINS)")
	triagers := fs.String("triagers", os.Getenv("LEAGUEMAIL_TRIAGE_TRIAGERS"), "triager `addresses`, comma-separated (env LEAGUEMAIL_TRIAGE_TRIAGERS)")
	verbose := fs.Bool("v", false, "log every mail taken in")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%w: ingest [--db F] [--address A] [--domains D,...] PATH... (.eml files, mbox files, Maildir folders; DIR/... walks DIR)", errUsage)
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	secret := []byte(os.Getenv("LEAGUEMAIL_LEAGUE_SECRET"))
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
	g, err := triage.New(st, triage.Config{Address: *address, Domains: splitList(*domains), Secret: secret,
		Triagers: splitList(*triagers), Logger: log})
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
	w := walker{log: log}
	err = w.walk(ctx, paths, func(raw []byte, o triage.Origin) error {
		n++
		bytesIn += int64(len(raw))
		err := g.Take(ctx, raw, o)
		var rej *triage.RejectError
		if errors.As(err, &rej) {
			rejected++
			log.Warn("mail refused", "origin", o.Mailbox, "uid", o.UID, "reason", rej.Reason)
			return nil
		}
		return err
	})
	elapsed := time.Since(start)
	after, cerr := st.Counts(ctx)
	if cerr != nil {
		return errors.Join(err, cerr)
	}
	rate := float64(n) / elapsed.Seconds()
	fmt.Fprintf(stdout, "ingest: %d mails (%.1f MB) from %d files in %.1fs: %.0f mails/s; %d new, %d already taken, %d refused; %d files skipped (not mail)\n",
		n, float64(bytesIn)/1e6, w.files, elapsed.Seconds(), rate, after.Mails-before.Mails, n-rejected-(after.Mails-before.Mails), rejected, w.skipped)
	fmt.Fprintf(stdout, "ingest: %d tickets opened, %d mails queued; the store %s holds %d mails, %d tickets\n",
		after.Tickets-before.Tickets, after.Outbox-before.Outbox, st.Path(), after.Mails, after.Tickets)
	if err != nil {
		return fmt.Errorf("%w; mails taken in so far are kept, and running ingest again takes none twice", err)
	}
	return nil
}

// walker reads mail files: .eml files, mbox files and Maildir folders.
// It stands in for mailin.ReadFiles until that lands.
type walker struct {
	log     *slog.Logger
	files   int
	skipped int
}

// walk calls fn for every mail in paths. A path that is a file is read as
// a mail or an mbox; a folder with cur/ or new/ as a Maildir; any other
// folder (or DIR/...) is walked, taking the files that look like mail.
func (w *walker) walk(ctx context.Context, paths []string, fn func(raw []byte, o triage.Origin) error) error {
	for _, p := range paths {
		p = strings.TrimSuffix(strings.TrimSuffix(p, "/..."), "...")
		if p == "" {
			p = "."
		}
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%w; check the path", err)
		}
		if !fi.IsDir() {
			if err := w.file(ctx, p, true, fn); err != nil {
				return err
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if isMaildir(path) {
					return w.maildir(ctx, path, fn)
				}
				if path != p && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			return w.file(ctx, path, false, fn)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// maildir takes the mails of cur/ (already seen by a mail client, so
// older) and then new/, each in name order, and skips the folder's other
// contents (tmp/ holds mail still being written).
func (w *walker) maildir(ctx context.Context, dir string, fn func([]byte, triage.Origin) error) error {
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if err := w.file(ctx, filepath.Join(dir, sub, e.Name()), true, fn); err != nil {
				return err
			}
		}
	}
	return filepath.SkipDir
}

// file takes one file: an mbox's mails, or the file as one mail. Found in
// a walk (explicit false), a file that does not look like mail is skipped.
func (w *walker) file(ctx context.Context, path string, explicit bool, fn func([]byte, triage.Origin) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	origin := triage.Origin{Mailbox: "file:" + abs}
	switch {
	case bytes.HasPrefix(raw, []byte("From ")):
		w.files++
		mails := splitMbox(raw)
		for i, m := range mails {
			o := origin
			o.UID = uint32(i + 1)
			if err := fn(m, o); err != nil {
				return fmt.Errorf("%s, mail %d: %w", path, i+1, err)
			}
		}
		return nil
	case explicit || looksLikeMail(raw):
		w.files++
		if err := fn(raw, origin); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	w.skipped++
	return nil
}

var headerLine = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*:[ \t]`)

// looksLikeMail reports whether at least two of the first lines are
// header fields: enough to pass over JSON, HTML and binary files in a walk
// and to keep a mail with a junk line before its header.
func looksLikeMail(raw []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(raw[:min(len(raw), 4096)]))
	fields := 0
	for i := 0; i < 8 && sc.Scan(); i++ {
		if headerLine.Match(sc.Bytes()) {
			fields++
		}
	}
	return fields >= 2
}

// splitMbox splits an mbox file at its "From " separator lines (each at
// the start of the file or after a line end), dropping the separators and
// undoing mboxrd's ">From " quoting. Line ends are kept as they are.
func splitMbox(raw []byte) [][]byte {
	var mails [][]byte
	var cur []byte
	started := false
	flush := func() {
		if started {
			// The blank line before a separator belongs to the mbox.
			cur = bytes.TrimSuffix(cur, []byte("\n"))
			cur = bytes.TrimSuffix(cur, []byte("\r"))
			if len(bytes.TrimSpace(cur)) > 0 {
				mails = append(mails, cur)
			}
		}
		cur, started = nil, true
	}
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line = raw[:i+1]
		}
		raw = raw[len(line):]
		switch {
		case bytes.HasPrefix(line, []byte("From ")):
			flush()
			continue
		case quotedFrom.Match(line):
			line = line[1:]
		}
		cur = append(cur, line...)
	}
	flush()
	return mails
}

var quotedFrom = regexp.MustCompile(`^>+From `)
