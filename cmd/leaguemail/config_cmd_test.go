package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsReadTheConfig runs the store commands with --config only:
// the store path, the league's address and name come from the file.
func TestCommandsReadTheConfig(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "from-config.db")
	cfg := filepath.Join(dir, "leaguemail.toml")
	body := "[league]\naddress = \"report@league.example\"\nname = \"Test League\"\n[store]\npath = \"" + db + "\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	runOK := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctx, args, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	runOK("ingest", "--config", cfg, "../../parser/testdata/defanged-freetext.eml")
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("ingest did not use [store] path: %v", err)
	}
	var tickets []map[string]any
	if err := json.Unmarshal([]byte(runOK("tickets", "list", "--json", "--config", cfg)), &tickets); err != nil || len(tickets) != 1 {
		t.Fatalf("tickets: %v %v", tickets, err)
	}
	stix := runOK("export", "--config", cfg, "--format", "stix", "--out", "-", "--all", "--tlp-max", "red")
	if !strings.Contains(stix, `"name": "Test League"`) && !strings.Contains(stix, `"name":"Test League"`) {
		t.Errorf("the bundle's identity is not [league] name:\n%.400s", stix)
	}
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"export", "--config", filepath.Join(dir, "missing.toml"), "--format", "csv", "--out", "-"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "missing.toml") {
		t.Errorf("a missing --config: exit %d, %q", code, errb.String())
	}
}
