package triage

import (
	"fmt"
	"os"
	"testing"

	"github.com/hospital-league/leaguemail/internal/pgtest"
)

// backend is the PostgreSQL cluster of the suite's second pass (nil in
// the first, on SQLite): triage's rules (one ticket per report, rate
// limits that count rows, merges) hold on both stores.
var backend *pgtest.Cluster

// TestMain runs the suite on SQLite, then on PostgreSQL. LEAGUEMAIL_STORES
// = sqlite or postgres runs one pass only: scripts/test runs the SQLite
// pass under the race detector with the rest, and the PostgreSQL pass,
// which is about SQL rather than goroutines, without it, to keep CI short.
func TestMain(m *testing.M) {
	if os.Getenv(envCrashDB) != "" {
		os.Exit(m.Run()) // the crash test's child: one pass, on the file it is given
	}
	only := os.Getenv("LEAGUEMAIL_STORES")
	code := 0
	if only != "postgres" {
		code = m.Run()
	}
	if only == "sqlite" {
		os.Exit(code)
	}
	if code != 0 || !pgtest.Available() {
		if code == 0 && os.Getenv("LEAGUEMAIL_E2E") == "1" {
			fmt.Fprintln(os.Stderr, "triage: postgresql is not installed, and LEAGUEMAIL_E2E=1 wants the suite run on it too")
			code = 1
		}
		os.Exit(code)
	}
	c, err := pgtest.StartCluster()
	if err != nil {
		fmt.Fprintln(os.Stderr, "triage: start postgresql:", err)
		os.Exit(1)
	}
	backend = c
	code = m.Run()
	c.Stop()
	os.Exit(code)
}
