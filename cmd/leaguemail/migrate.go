package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// runMigrate copies a SQLite store into an empty PostgreSQL store and
// checks the copy (rows and a digest per table) before it says done. The
// source may be in use: it is read as one snapshot; mail a gateway takes
// in after it began is not in the copy, so stop the gateway first for a
// move (the copy then is the whole store).
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	from := fs.String("from", "", "the SQLite store to copy: sqlite:PATH")
	to := fs.String("to", "", "the empty PostgreSQL store to fill: postgres://user@host/db?sslmode=verify-full")
	pwFile := fs.String("to-password-file", "", "`file` holding the PostgreSQL password (or put it in the URL, or PGPASSWORD)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	path, ok := strings.CutPrefix(*from, "sqlite:")
	if !ok || path == "" {
		return fmt.Errorf("%w: --from sqlite:PATH names the SQLite store to copy", errUsage)
	}
	if !store.IsPostgres(*to) {
		return fmt.Errorf("%w: --to postgres://user@host/database names the PostgreSQL store to fill", errUsage)
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no SQLite store at %s: %w", path, err)
	}
	pw := ""
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("--to-password-file: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	src, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := store.OpenPostgres(ctx, *to, pw)
	if err != nil {
		return err
	}
	defer dst.Close()
	checks, err := store.Copy(ctx, src, dst)
	if err != nil {
		return fmt.Errorf("%w (drop and create %s anew before trying again)", err, dst.Path())
	}
	var rows int64
	for _, c := range checks {
		fmt.Fprintf(stdout, "%-20s %8d rows  sha256 %s  same on both\n", c.Table, c.Rows, c.SHA256[:16])
		rows += c.Rows
	}
	fmt.Fprintf(stdout, "done: %d rows in %d tables copied from %s to %s and checked; set [store] url to it\n",
		rows, len(checks), path, dst.Path())
	return nil
}
