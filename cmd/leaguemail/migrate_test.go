package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/internal/pgtest"
)

// TestMigrateToPostgres moves a league's SQLite store to PostgreSQL with
// `leaguemail migrate`, then works on the copy through [store] url.
func TestMigrateToPostgres(t *testing.T) {
	pg := pgtest.Start(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "league.db")
	ctx := context.Background()
	run1 := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, _, e := run1("ingest", "--db", db, "../../parser/testdata/defanged-freetext.eml"); code != 0 {
		t.Fatalf("ingest: %s", e)
	}
	url := pg.Schema(t)
	if code, _, e := run1("migrate", "--from", db, "--to", url); code != 2 || !strings.Contains(e, "sqlite:PATH") {
		t.Errorf("--from without sqlite: exit %d %s", code, e)
	}
	code, out, e := run1("migrate", "--from", "sqlite:"+db, "--to", url)
	if code != 0 || !strings.Contains(out, "done:") || !strings.Contains(out, "tickets") {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, e)
	}
	// Twice is refused: the target is not empty any more.
	if code, _, e := run1("migrate", "--from", "sqlite:"+db, "--to", url); code != 1 || !strings.Contains(e, "not empty") {
		t.Errorf("second migrate: exit %d %s", code, e)
	}
	cfg := filepath.Join(dir, "leaguemail.toml")
	os.WriteFile(cfg, []byte("[league]\naddress = \"report@league.example\"\n[store]\nurl = \""+url+"\"\n"), 0o600)
	code, out, e = run1("tickets", "list", "--json", "--config", cfg)
	var tickets []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &tickets) != nil || len(tickets) != 1 {
		t.Fatalf("tickets on the copy: exit %d %s %s", code, out, e)
	}
	if code, _, e := run1("ingest", "--config", cfg, "../../parser/testdata/defanged-freetext.eml"); code != 0 {
		t.Fatalf("ingest into the copy: %s", e)
	}
	code, out, _ = run1("tickets", "list", "--json", "--config", cfg)
	json.Unmarshal([]byte(out), &tickets)
	if len(tickets) != 1 {
		t.Errorf("the same mail ingested again on the copy made %d tickets, want still 1", len(tickets))
	}
}
