package e2etest

import (
	"context"
	"database/sql"
	"net/url"
	"testing"

	_ "github.com/mattn/go-sqlite3" // the sqlite3 driver, as the gateway uses it
)

// Lock is a write lock on the gateway's SQLite store held by the test
// process, as another program (a backup, an administrator's sqlite3
// shell) would take it: BEGIN EXCLUSIVE on a connection of its own.
type Lock struct {
	db   *sql.DB
	conn *sql.Conn
}

// LockStore takes the write lock on the store at path. In WAL mode the
// gateway can still read; every write of its waits, then fails with
// "database is locked" when its busy timeout runs out.
func LockStore(t testing.TB, path string) *Lock {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN EXCLUSIVE")
	}
	if err != nil {
		db.Close()
		t.Fatalf("e2etest: lock the store %s: %v", path, err)
	}
	l := &Lock{db: db, conn: conn}
	t.Cleanup(l.Release)
	return l
}

// Release ends the transaction and closes the connection; it may be
// called more than once.
func (l *Lock) Release() {
	if l.conn == nil {
		return
	}
	l.conn.ExecContext(context.Background(), "ROLLBACK")
	l.conn.Close()
	l.db.Close()
	l.conn = nil
}
