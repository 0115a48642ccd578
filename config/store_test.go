package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStoreConfig(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("s3cret:/@\n"), 0o600)
	tests := []struct {
		name, store, want string
	}{
		{"both", "path = \"x.db\"\nurl = \"postgres://lm@db.league.example/leaguemail\"\n", `leaguemail.toml:19: [store] url: set either path`},
		{"not postgres", "url = \"mysql://lm@db/leaguemail\"\n", `leaguemail.toml:18: [store] url: "mysql://lm@db/leaguemail": want postgres://`},
		{"no database", "url = \"postgres://lm@db.league.example\"\n", `leaguemail.toml:18: [store] url: "postgres://lm@db.league.example" names no database`},
		{"two passwords", "url = \"postgres://lm:pw@db/leaguemail\"\npassword_file = \"" + pw + "\"\n", `leaguemail.toml:19: [store] password_file: the url carries a password`},
		{"missing password file", "url = \"postgres://lm@db/leaguemail\"\npassword_file = \"/nonexistent/pw\"\n", `leaguemail.toml:19: [store] password_file: stat /nonexistent/pw`},
		{"short failover", "url = \"postgres://lm@db/leaguemail\"\nfailover = \"500ms\"\n", `leaguemail.toml:19: [store] failover: 500ms is too short`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, strings.Replace(good, "[store]\n", "[store]\n"+tt.store, 1)), true, nil)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if i := strings.Index(msg, "leaguemail.toml"); i >= 0 {
				msg = msg[i:]
			}
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
			if strings.Contains(msg, ":pw@") {
				t.Errorf("error shows the password: %q", msg)
			}
		})
	}
	c, err := Load(write(t, strings.Replace(good, "[store]\n", "[store]\nurl = \"postgres://lm@db.league.example/leaguemail?sslmode=verify-full\"\npassword_file = \""+pw+"\"\n", 1)), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	where, err := c.Store.Where()
	if err != nil || where != "postgres://lm:s3cret%3A%2F%40@db.league.example/leaguemail?sslmode=verify-full" {
		t.Errorf("Where = %q, %v", where, err)
	}
	if c.Store.Path != "" || c.Store.Failover.Duration.Seconds() != 15 {
		t.Errorf("defaults: path %q, failover %v", c.Store.Path, c.Store.Failover)
	}
}
