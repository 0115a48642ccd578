package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// schema returns the database's schema as text, to compare two databases.
func schema(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_schema ORDER BY type, name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		b.WriteString(typ + " " + name + "\n" + sql + "\n")
	}
	return b.String()
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// seedAt puts a row in what exists at schema version v, so that the
// upgrade must carry data over.
var seedAt = map[int]string{
	1: `INSERT INTO raw (sha256, size, bytes) VALUES ('aa', 3, x'616263');
	    INSERT INTO mails (sha256, received_at) VALUES ('aa', '2026-01-01T00:00:00.000000Z');
	    INSERT INTO origins VALUES ('INBOX', 7, 1, 1, '2026-01-01T00:00:00.000000Z');
	    INSERT INTO checkpoints VALUES ('INBOX', 7, 1, '2026-01-01T00:00:00.000000Z');`,
	2: `INSERT INTO contacts (kind, email, domain) VALUES ('institution', 'it@hospital.example', 'hospital.example');
	    INSERT INTO tickets (state, institution, created_at, updated_at) VALUES ('new', 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
	    INSERT INTO events (ticket, at, actor, kind) VALUES (1, '2026-01-01T00:00:00.000000Z', 'x', 'opened');`,
	3: `INSERT INTO indicators (type, value, first_seen, last_seen) VALUES ('domain', 'evil.example', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
	    INSERT INTO sightings (indicator, ticket, layer, first_mail, last_mail, first_seen, last_seen) VALUES (1, 1, 'report', 1, 1, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');`,
}

func TestMigrations(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	dir := t.TempDir()

	fresh := filepath.Join(dir, "fresh.db")
	s, err := Open(ctx, fresh)
	if err != nil {
		t.Fatalf("open empty file: %v", err)
	}
	want := schema(t, s.w.db)
	var v int
	s.w.db.QueryRow("PRAGMA user_version").Scan(&v)
	if v != SchemaVersion() || v < 2 {
		t.Fatalf("user_version = %d, want %d", v, SchemaVersion())
	}
	s.Close()

	// From every earlier version, with data in it.
	for from := 0; from < SchemaVersion(); from++ {
		path := filepath.Join(dir, "from"+string(rune('0'+from))+".db")
		db := rawDB(t, path)
		if err := migrate(ctx, db, from); err != nil {
			t.Fatalf("migrate to %d: %v", from, err)
		}
		for v := 1; v <= from; v++ {
			if _, err := db.Exec(seedAt[v]); err != nil {
				t.Fatalf("seed version %d: %v", v, err)
			}
		}
		db.Close()
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open version %d: %v", from, err)
		}
		if got := schema(t, s.w.db); got != want {
			t.Errorf("schema upgraded from version %d differs from a fresh one:\n%s\nwant:\n%s", from, got, want)
		}
		c, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if from >= 1 && (c.Raw != 1 || c.Mails != 1) {
			t.Errorf("from version %d: data lost: %+v", from, c)
		}
		if from >= 2 {
			// Version 7 rebuilds contacts, which tickets point at.
			tk, err := s.Ticket(ctx, 1)
			if err != nil || tk.Institution == nil || tk.Institution.Email != "it@hospital.example" {
				t.Errorf("from version %d: the ticket's institution was lost: %+v, %v", from, tk.Institution, err)
			}
		}
		if from >= 3 && c.Sightings != 1 {
			t.Errorf("from version %d: sightings lost: %+v", from, c)
		}
		s.Close()
		// Opening again changes nothing.
		s, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		s.Close()
	}
}

func TestOpenNewerSchemaFails(t *testing.T) {
	sqliteOnly(t)
	path := filepath.Join(t.TempDir(), "new.db")
	db := rawDB(t, path)
	if _, err := db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: err = %v, want one saying it is newer", err)
	}
}

func TestPragmas(t *testing.T) {
	sqliteOnly(t)
	s := openTest(t)
	for _, c := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"synchronous", "2"}, // FULL
		{"busy_timeout", "10000"},
	} {
		var got string
		if err := s.w.db.QueryRow("PRAGMA " + c.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("PRAGMA %s = %s, want %s", c.pragma, got, c.want)
		}
	}
}
