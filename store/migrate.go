package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// The schema is a series of numbered SQL files, NNNN_name.sql, written
// once for both stores (schema.go translates them for PostgreSQL); the
// number of the last one applied is SQLite's PRAGMA user_version, and
// PostgreSQL's leaguemail_schema table.
// A released migration is never edited: changes come as a new file.
// Numbers rise but may skip (branches written side by side each take
// their own); the schema version is the last file's number.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

var migrations = loadMigrations()

func loadMigrations() []migration {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || (len(ms) > 0 && v <= ms[len(ms)-1].version) {
			panic(fmt.Sprintf("store: migration %s: want a number above the one before", base))
		}
		b, err := migrationFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	return ms
}

// SchemaVersion is the schema version this build writes.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate brings the store's schema to version to.
func (s *Store) migrate(ctx context.Context, to int) error {
	if s.d == postgresDialect {
		return migratePostgres(ctx, s.w.db, to)
	}
	return migrate(ctx, s.w.db, to)
}

// migrate applies the migrations above the SQLite database's version up
// to version to, each in a transaction of its own with the version bump.
func migrate(ctx context.Context, db *sql.DB, to int) error {
	var cur int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > SchemaVersion() {
		return fmt.Errorf("schema version %d is newer than this program's %d: upgrade leaguemail", cur, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= cur || m.version > to {
			continue
		}
		body, err := dialectBlocks(m.sql, sqliteDialect)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, body); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		// PRAGMA takes no parameters; the version is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// migratePostgres applies the migrations, translated (schema.go), above
// the version recorded in leaguemail_schema, up to version to. Gateways
// started together take turns: a session advisory lock on one connection
// is held while the schema is read and changed.
func migratePostgres(ctx context.Context, db *sql.DB, to int) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer c.Close()
	var schema string
	if err := c.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	key := lockKey(schema, "migrate")
	if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer c.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key)
	if _, err := c.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS leaguemail_schema (version BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var cur int
	err = c.QueryRowContext(ctx, `SELECT version FROM leaguemail_schema`).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = c.ExecContext(ctx, `INSERT INTO leaguemail_schema (version) VALUES (0)`)
	}
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if cur > SchemaVersion() {
		return fmt.Errorf("schema version %d is newer than this program's %d: upgrade leaguemail", cur, SchemaVersion())
	}
	applied := 0
	for _, m := range migrations {
		if m.version <= cur || m.version > to {
			continue
		}
		stmts, err := postgresSchema(m.sql)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		for _, st := range stmts {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %s: %w\n%s", m.name, err, st)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE leaguemail_schema SET version = $1`, m.version); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		applied++
	}
	if applied > 0 {
		// Once the schema stands: a migration that rebuilt a table copied
		// its rows with their ids.
		if err := resetIdentities(ctx, c); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// resetIdentities moves every identity column's sequence past the
// column's highest value: rows copied with their ids (a table rebuilt by
// a migration, a store copied by leaguemail migrate) would otherwise
// collide with the next number given.
func resetIdentities(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}) error {
	rows, err := q.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND is_identity = 'YES'`)
	if err != nil {
		return fmt.Errorf("list identity columns: %w", err)
	}
	var cols [][2]string
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			rows.Close()
			return fmt.Errorf("list identity columns: %w", err)
		}
		cols = append(cols, [2]string{t, c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list identity columns: %w", err)
	}
	for _, tc := range cols {
		// Names from the catalogue, quoted: no input reaches this SQL.
		t, c := pgIdent(tc[0]), pgIdent(tc[1])
		if _, err := q.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max(`+c+`) FROM `+t+`), 0) + 1, false)`,
			t, tc[1]); err != nil {
			return fmt.Errorf("reset the numbering of %s.%s: %w", tc[0], tc[1], err)
		}
	}
	return nil
}

// pgIdent quotes a PostgreSQL identifier.
func pgIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
