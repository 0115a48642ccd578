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

func TestMain(m *testing.M) {
	code := m.Run()
	if os.Getenv(envCrashDB) != "" {
		os.Exit(code) // the crash test's child: one pass, on the file it is given
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
