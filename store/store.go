// Package store implements the gateway's durable state on SQLite (the
// default, one file) or PostgreSQL (for several gateways sharing one
// store): mail as received and where it came from, tickets with their
// participants, mails and append-only events, indicators and their
// sightings, contacts, the outbox and IMAP mailbox checkpoints.
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
	"hash/fnv"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open database. On SQLite, writes go through one connection,
// one transaction at a time, and reads use a pool of their own. On
// PostgreSQL one pool serves both, and write transactions still run one
// at a time across every gateway sharing the store (see Update).
type Store struct {
	path string // the file, or the URL without its password
	d    dialect
	w    conn // the writer
	r    conn // readers
	// aux writes the lease and the outbox claims. On SQLite it is a
	// writer connection of its own, so that a lease renewal or a claim
	// waiting on a lock held by another process never queues the intake's
	// transaction behind it in the pool (each waits at SQLite's lock, up to
	// the busy timeout, on its own); on PostgreSQL it is the one pool.
	aux conn
	// writerKey is the advisory lock that serializes write transactions
	// on PostgreSQL, one per schema.
	writerKey int64
}

// dsn builds the connection string for path. Every setting is
// per-connection, so it lives in the DSN: WAL lets readers run beside the
// writer; synchronous=FULL makes a commit survive a power loss before the
// mail is moved on the IMAP server; immediate transactions take the write
// lock at BEGIN, which busy_timeout can wait for (a read-to-write upgrade
// would fail with SQLITE_BUSY instead). Writing connections get a larger
// page cache (see below); readers keep SQLite's default.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "FULL")
	// database/sql hands a connection to one goroutine at a time, so
	// SQLite's own lock on each call into a connection is not needed
	// (SQLITE_OPEN_NOMUTEX); without it the corpus's commits took 5% less.
	q.Set("_mutex", "no")
	if readOnly {
		q.Set("_query_only", "true")
	} else {
		q.Set("_txlock", "immediate")
		// A group commit writes tens of MiB; with SQLite's 2 MiB default
		// its cache spills dirty pages into the WAL mid-transaction and
		// reads them back: the corpus's ingest made 82,000 pwrites and
		// 41,000 preads with it, 54,000 and 14,000 with 16 MiB.
		q.Set("_cache_size", "-16384")
		// The driver keeps the statements it ran across transactions
		// (those run with arguments, not those prepared by database/sql:
		// see Store.updateSQLite): each group commit prepared its
		// thirty-odd statements anew (5% of taking mail in).
		q.Set("_stmt_cache_size", "128")
	}
	return fileDSN(path, q)
}

// fileDSN is the driver's connection string for the file at path.
func fileDSN(path string, q url.Values) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// IsPostgres says whether where names a PostgreSQL store (a postgres://
// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(where string) bool {
	return strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://")
}

// Open opens the store at where, a SQLite file (created if needed) or a
// PostgreSQL URL, and brings its schema to the latest version.
func Open(ctx context.Context, where string) (*Store, error) {
	if IsPostgres(where) {
		return OpenPostgres(ctx, where, "")
	}
	return openSQLite(ctx, where)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if err := createSQLite(ctx, path); err != nil {
		return nil, fmt.Errorf("create store %s: %w", path, err)
	}
	w, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, d: sqliteDialect, w: conn{w, sqliteDialect}}
	if err := s.migrate(ctx, SchemaVersion()); err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s.r = conn{r, sqliteDialect}
	aux, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	aux.SetMaxOpenConns(1)
	s.aux = conn{aux, sqliteDialect}
	return s, nil
}

// newPageSize is the page size of a store file created here. Most of
// what a store writes is mail, tens of KiB a row, and a group commit
// writes each such row's pages to the WAL and later to the file: with
// 16 KiB pages instead of SQLite's 4 KiB, a commit of 64 corpus-sized mails
// took 5.6 ms instead of 10.2 on this project's test machine. A file made
// before keeps its pages: SQLite cannot change them in WAL mode.
const newPageSize = 16384

// createSQLite makes the store file at path, when there is none, with
// newPageSize pages, which must be set before anything is written, and
// so before the DSN's journal_mode=WAL.
func createSQLite(ctx context.Context, path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // there is one, or Open says why not below
	}
	db, err := sql.Open("sqlite3", fileDSN(path, url.Values{"_busy_timeout": {"10000"}}))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, p := range []string{fmt.Sprintf("PRAGMA page_size = %d", newPageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// OpenPostgres opens the PostgreSQL store at rawURL, with password unless
// it is empty (then the URL's, or PGPASSWORD, or ~/.pgpass), and brings its
// schema to the latest version. The schema is the connection's
// search_path: several leagues, or tests, can share one database.
func OpenPostgres(ctx context.Context, rawURL, password string) (*Store, error) {
	shown := redactURL(rawURL)
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	if password != "" {
		cfg.Password = password
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	s := &Store{path: shown, d: postgresDialect, w: conn{db, postgresDialect}, r: conn{db, postgresDialect}, aux: conn{db, postgresDialect}}
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	s.writerKey = lockKey(schema, "writer")
	if err := s.migrate(ctx, SchemaVersion()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", shown, err)
	}
	return s, nil
}

// lockKey names an advisory lock of schema: PostgreSQL's advisory locks
// are per database, our tables per schema.
func lockKey(schema, what string) int64 {
	h := fnv.New64a()
	h.Write([]byte("leaguemail\x00" + schema + "\x00" + what))
	return int64(h.Sum64())
}

// redactURL is rawURL without its password, for logs and errors.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	return u.Redacted()
}

// Close closes the database.
func (s *Store) Close() error {
	if s.d == postgresDialect {
		return s.w.db.Close()
	}
	return errors.Join(s.r.db.Close(), s.aux.db.Close(), s.w.db.Close())
}

// Path returns the file the store was opened from, or its URL without the
// password.
func (s *Store) Path() string { return s.path }

// Dialect returns "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.d.String() }

// querier is what both conn and txn offer: every read is written once
// against it and serves Store and Tx alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	sqlDialect() dialect
}
