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

// parse --json shows a warninglisted value as context with its list's
// name, from the embedded lists or from a misp-warninglists checkout.
func TestParseShowsWarnings(t *testing.T) {
	mail := "../../parser/testdata/freemail-bec-o365.eml"
	for _, c := range []struct {
		args    []string
		value   string
		warning string
	}{
		{[]string{"parse", "--json", mail}, "209.85.220.41", "List of known mail providers' sending IP ranges"},
		{[]string{"parse", "--json", "--warninglists", "../../../shared/warninglists/lists", mail}, "209.85.220.41", "List of known Gmail sending IP ranges"},
	} {
		if strings.Contains(strings.Join(c.args, " "), "shared") {
			if _, err := os.Stat("../../../shared/warninglists/lists"); err != nil {
				t.Skip("shared warninglists not present")
			}
		}
		var out, errb bytes.Buffer
		if code := run(context.Background(), c.args, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		var m struct {
			Indicators []struct{ Value string }
			Context    []struct{ Value, Warning string }
		}
		if err := json.Unmarshal(out.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		for _, ind := range m.Indicators {
			if ind.Value == c.value {
				t.Errorf("%s is an indicator", c.value)
			}
		}
		found := false
		for _, ctx := range m.Context {
			if ctx.Value == c.value {
				found = true
				if ctx.Warning != c.warning {
					t.Errorf("%s: warning %q, want %q", c.value, ctx.Warning, c.warning)
				}
			}
		}
		if !found {
			t.Errorf("%s missing from context: %s", c.value, out.String())
		}
	}
}

// A checkout that cannot be read stops the gateway, naming the key.
func TestBadWarninglistsConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "leaguemail.toml")
	body := "[league]\naddress = \"report@league.example\"\n[store]\npath = \"" + filepath.Join(dir, "x.db") + "\"\n[parser]\nwarninglists = \"" + filepath.Join(dir, "nowhere") + "\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"ingest", "--config", cfg, "../../parser/testdata/defanged-freetext.eml"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "[parser] warninglists") || !strings.Contains(errb.String(), "leaguemail.toml:6") {
		t.Errorf("exit %d, stderr %q: want the file, line and key named", code, errb.String())
	}
	var out2, errb2 bytes.Buffer
	if code := run(context.Background(), []string{"parse", "--warninglists", filepath.Join(dir, "nowhere"), "../../parser/testdata/defanged-freetext.eml"}, &out2, &errb2); code != 1 || !strings.Contains(errb2.String(), "--warninglists") {
		t.Errorf("parse: exit %d, stderr %q", code, errb2.String())
	}
}
