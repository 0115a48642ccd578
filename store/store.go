// Package store implements the gateway's durable state on SQLite: mail as
// received and where it came from, tickets with their participants, mails
// and append-only events, indicators and their sightings, contacts, the
// outbox and IMAP mailbox checkpoints.
//
// Every change is made inside one transaction (Store.Update), so that a
// mail, the ticket change it causes and the mails it queues are committed
// together or not at all. The store knows nothing of parsing or triage: it
// keeps what the triage layer hands it.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open database. Writes go through one connection, one
// transaction at a time; reads use a pool of their own.
type Store struct {
	path string
	w    *sql.DB // the one writer
	r    *sql.DB // readers
}

// dsn builds the connection string for path. Every setting is
// per-connection, so it lives in the DSN: WAL lets readers run beside the
// writer; synchronous=FULL makes a commit survive a power loss before the
// mail is moved on the IMAP server; immediate transactions take the write
// lock at BEGIN, which busy_timeout can wait for (a read-to-write upgrade
// would fail with SQLITE_BUSY instead).
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "FULL")
	if readOnly {
		q.Set("_query_only", "true")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens the database at path, creating it if needed, and brings its
// schema to the latest version.
func Open(ctx context.Context, path string) (*Store, error) {
	w, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w, SchemaVersion()); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	return &Store{path: path, w: w, r: r}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return errors.Join(s.r.Close(), s.w.Close())
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// querier is what both *sql.DB and *sql.Tx offer: every read is written
// once against it and serves Store and Tx alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
