package store

import (
	"fmt"
	"os"
	"testing"

	"github.com/hospital-league/leaguemail/internal/pgtest"
)

// backend is the PostgreSQL cluster the suite runs on in its second
// pass; nil in the first, on SQLite.
var backend *pgtest.Cluster

// TestMain runs the whole suite twice: on SQLite, then on PostgreSQL
// (every openTest a fresh schema of one cluster).
func TestMain(m *testing.M) {
	code := m.Run()
	if code != 0 {
		os.Exit(code)
	}
	if !pgtest.Available() {
		if os.Getenv("LEAGUEMAIL_E2E") == "1" {
			fmt.Fprintln(os.Stderr, "store: postgresql is not installed, and LEAGUEMAIL_E2E=1 wants the suite run on it too (./scripts/test installs it)")
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "store: postgresql is not installed: the suite ran on SQLite only")
		os.Exit(0)
	}
	c, err := pgtest.StartCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, "store: start postgresql:", err)
		os.Exit(1)
	}
	backend = c
	code = m.Run()
	c.Stop()
	os.Exit(code)
}

// sqliteOnly skips a test of SQLite's own machinery in the PostgreSQL pass.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if backend != nil {
		t.Skip("SQLite's own machinery")
	}
}
