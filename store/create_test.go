package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestNewFilePages: a store file made by Open has the larger pages mail
// rows want, in WAL mode; a file made before, with SQLite's default
// pages, opens as it is and keeps them.
func TestNewFilePages(t *testing.T) {
	ctx := context.Background()
	pages := func(path string) (int, string) {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var size int
		var mode string
		if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		return size, mode
	}
	fresh := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if size, mode := pages(fresh); size != newPageSize || mode != "wal" {
		t.Errorf("new store: %d-byte pages, journal %s; want %d, wal", size, mode, newPageSize)
	}

	old := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", "file:"+old+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE before (x)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if size, _ := pages(old); size != 4096 {
		t.Errorf("older store: %d-byte pages, want its 4096 kept", size)
	}
}
