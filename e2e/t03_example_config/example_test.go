// Package t03_example_config proves that what a deployment starts from
// works with the binary as built: example/leaguemail.toml passes
// check-config and documents every key of package config;
// packaging/leaguemail.service is a well-formed systemd unit whose
// ExecStart the binary accepts; and broken configs are refused with one
// line that names the file, the line and the key, and exit status 1.
package t03_example_config

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/e2e/e2etest"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

// realSecret is a secret as `openssl rand -hex 32` makes one, set from
// the environment as an operator would.
const realSecret = "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"

var (
	exampleConfig = filepath.Join("..", "..", "example", "leaguemail.toml")
	unitFile      = filepath.Join("..", "..", "packaging", "leaguemail.service")
)

// TestExampleConfig checks example/leaguemail.toml with the binary, as an
// operator would before the first start; --db keeps the store out of
// /var/lib.
func TestExampleConfig(t *testing.T) {
	bin := e2etest.Binary(t)
	args := []string{"check-config", "--offline", "--config", exampleConfig, "--db", filepath.Join(t.TempDir(), "leaguemail.db")}
	// As shipped, its secret is a placeholder that anyone can read: with
	// it every triager's reply token could be computed (issue 12, point 2).
	r := e2etest.Exec(t, bin, args...)
	if r.Code != 1 || !strings.Contains(r.Stderr, "[league] secret") || !strings.Contains(r.Stderr, "openssl rand -hex 32") ||
		strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
		t.Errorf("check-config --offline of the example as shipped: exit status %d, want 1 and one line on the secret\nstderr: %s", r.Code, r.Stderr)
	}
	r = e2etest.ExecEnv(t, bin, []string{"LEAGUEMAIL_LEAGUE_SECRET=" + realSecret}, args...)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "config: ok") {
		t.Fatalf("check-config --offline of the example: exit status %d\nstdout: %s\nstderr: %s", r.Code, r.Stdout, r.Stderr)
	}
	if r.Stderr != "" {
		t.Errorf("check-config wrote to stderr on success: %s", r.Stderr)
	}
}

// commentedOut are the keys the example may show only as comments: each
// names a file that must exist before the key is set (check-config reads
// it), or is an optional table, or belongs to [oauth], which only a token
// login reads and whose values are the provider's.
var commentedOut = []string{
	"imap.ca_file", "smtp.ca_file", "smtp.dkim_domain", "smtp.dkim_selector", "smtp.dkim_key_file", "templates.dir",
	"imap.mailboxes", "imap.mailboxes.url", "imap.mailboxes.processed", "imap.mailboxes.failed",
	"oauth.provider", "oauth.tenant", "oauth.flow", "oauth.token_url", "oauth.device_url", "oauth.auth_url", "oauth.client_id",
	"oauth.client_secret", "oauth.client_secret_file", "oauth.scope", "oauth.refresh_token_file", "oauth.command",
	"parser.warninglists",
	// PostgreSQL is the alternative to path; its password is a file.
	"store.url", "store.password_file",
	// The league's key and certificate are files; sign = true needs the key.
	"crypto.key", "crypto.passphrase_file", "crypto.smime_cert", "crypto.smime_key", "crypto.sign",
	// The listener's certificate and key are files check-config loads.
	"http.tls_cert", "http.tls_key",
}

// TestExampleCoversEveryKey reads the keys of config.Config from its TOML
// tags and wants each of them in the example, set or shown in a comment:
// a key added to the config and not to the example fails here.
func TestExampleCoversEveryKey(t *testing.T) {
	set, shown := exampleKeys(t, exampleConfig)
	for _, key := range configKeys(reflect.TypeFor[config.Config](), "") {
		switch {
		case set[key] > 0:
			if slices.Contains(commentedOut, key) {
				t.Errorf("%s:%d: %s is set; check-config would need its file: show it in a comment", exampleConfig, set[key], key)
			}
		case shown[key] > 0:
			if !slices.Contains(commentedOut, key) {
				t.Errorf("%s:%d: %s is only in a comment; give it a production value", exampleConfig, shown[key], key)
			}
		default:
			t.Errorf("%s: the key %s of package config is not in the example", exampleConfig, key)
		}
	}
}

// configKeys lists the dotted keys of a config struct: a section's keys,
// and for an array of tables its name and its keys.
func configKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for f := range typ.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		key := tag
		if prefix != "" {
			key = prefix + "." + tag
		}
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[config.Duration]():
			keys = append(keys, configKeys(ft, key)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			keys = append(keys, key)
			keys = append(keys, configKeys(ft.Elem(), key)...)
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

var (
	sectionLine = regexp.MustCompile(`^(#\s*)?\[\[?([a-z_.]+)\]\]?\s*$`)
	keyLine     = regexp.MustCompile(`^(#\s*)?([a-z_]+)\s*=`)
)

// exampleKeys returns the dotted keys set in the file, and those shown
// in comments ("# ca_file = ..."), each with its line.
func exampleKeys(t *testing.T, path string) (set, shown map[string]int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	set, shown = map[string]int{}, map[string]int{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if m := sectionLine.FindStringSubmatch(line); m != nil {
			section = m[2]
			if strings.Contains(line, "[[") { // an array of tables is a key too
				record(set, shown, m[1] != "", section, n)
			}
			continue
		}
		if m := keyLine.FindStringSubmatch(line); m != nil && section != "" {
			record(set, shown, m[1] != "", section+"."+m[2], n)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return set, shown
}

func record(set, shown map[string]int, comment bool, key string, line int) {
	m := set
	if comment {
		m = shown
	}
	if _, ok := m[key]; !ok {
		m[key] = line
	}
}

// TestBadConfigs feeds check-config --offline, and serve, configs with one
// mistake each. DESIGN.md: a mistake names the file, the key and what is
// wrong, and the gateway does not start; errors are one line on stderr;
// exit status 1. The line is the one under the "# error:" comment of each
// file; a missing key has none.
func TestBadConfigs(t *testing.T) {
	bin := e2etest.Binary(t)
	for _, tc := range []struct {
		file string
		key  string // as the error writes it
		want string // in the message
	}{
		{"typo_key.toml", "[imap] poll_intervall", "unknown key"},
		{"bad_duration.toml", "[imap] poll_interval", "is not a duration"},
		{"missing_smtp_url.toml", "[smtp] url", "missing"},
		{"wrong_type.toml", "[triage] acks_per_hour", "type"},
		{"bad_log_level.toml", "[log] level", "want debug, info, warn or error"},
		{"short_secret.toml", "[league] secret", "too short"},
		{"unclosed_string.toml", "[league] address", ""},
		{"bad_league_address.toml", "[league] address", "not a bare mail address"},
		{"smtp_scheme.toml", "[smtp] url", `scheme "smpt"`},
		{"imap_plaintext_remote.toml", "[imap] url", "loopback"},
	} {
		t.Run(strings.TrimSuffix(tc.file, ".toml"), func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tc.file)
			where := path
			if n := errorLine(t, path); n > 0 {
				where += ":" + strconv.Itoa(n)
			}
			prefix := where + ": " + tc.key + ": "
			for _, cmd := range []string{"check-config", "serve"} {
				args := []string{cmd, "--config", path, "--db", filepath.Join(t.TempDir(), "leaguemail.db")}
				if cmd == "check-config" {
					args = append(args, "--offline")
				}
				r := e2etest.Exec(t, bin, args...)
				msg := strings.TrimSuffix(r.Stderr, "\n")
				if r.Code != 1 {
					t.Errorf("%s: exit status %d, want 1\nstderr: %s", cmd, r.Code, r.Stderr)
				}
				if strings.Contains(msg, "\n") {
					t.Errorf("%s: the error is more than one line:\n%s", cmd, r.Stderr)
				}
				want := "leaguemail " + cmd + ": " + prefix
				if !strings.HasPrefix(msg, want) || !strings.Contains(msg[min(len(want), len(msg)):], tc.want) {
					t.Errorf("%s: stderr\n\t%s\nwant it to start %q and say %q", cmd, msg, want, tc.want)
				}
				if r.Stdout != "" {
					t.Errorf("%s: wrote to stdout: %s", cmd, r.Stdout)
				}
			}
		})
	}
}

// errorLine returns the line under the "# error:" comment of a file, or 0.
func errorLine(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "# error:") {
			return i + 2
		}
	}
	return 0
}

// unit is a parsed systemd unit: section -> key -> values, in order (a
// key may be given more than once).
type unit map[string]map[string][]string

var unitKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

// parseUnit reads a unit file as systemd.syntax(7) defines it, strictly:
// every line is blank, a comment, a [Section] header, or Key=Value inside
// a section; no continuation lines.
func parseUnit(text string) (unit, error) {
	u := unit{}
	section := ""
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return nil, fmt.Errorf("line %d: bad section header %q", n, line)
			}
			section = line[1 : len(line)-1]
			if _, dup := u[section]; dup {
				return nil, fmt.Errorf("line %d: section [%s] given twice", n, section)
			}
			u[section] = map[string][]string{}
		default:
			if section == "" {
				return nil, fmt.Errorf("line %d: %q outside any section", n, line)
			}
			k, v, ok := strings.Cut(line, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || !unitKey.MatchString(k) {
				return nil, fmt.Errorf("line %d: %q is not Key=Value", n, line)
			}
			if strings.HasSuffix(v, `\`) {
				return nil, fmt.Errorf("line %d: a continuation line; keep each setting on one", n)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u, nil
}

func (u unit) get(section, key string) string {
	vs := u[section][key]
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// TestSystemdUnit checks packaging/leaguemail.service: its syntax, the
// settings the deployment relies on, that the binary accepts its
// ExecStart, that its writable paths hold the example's store and feeds,
// and, where systemd-analyze exists, systemd's own verdict.
func TestSystemdUnit(t *testing.T) {
	bin := e2etest.Binary(t)
	text, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	u, err := parseUnit(string(text))
	if err != nil {
		t.Fatalf("%s: %v", unitFile, err)
	}
	for s := range u {
		if !slices.Contains([]string{"Unit", "Service", "Install"}, s) {
			t.Errorf("%s: section [%s]: a service unit has [Unit], [Service] and [Install]", unitFile, s)
		}
	}

	t.Run("settings", func(t *testing.T) {
		for _, c := range []struct{ section, key, want string }{
			{"Unit", "After", "network-online.target"},
			{"Service", "Type", "simple"},
			{"Service", "ExecStart", "/usr/local/bin/leaguemail serve --config /etc/leaguemail/leaguemail.toml"},
			{"Service", "ExecReload", "/bin/kill -HUP $MAINPID"},
			{"Service", "User", "leaguemail"},
			{"Service", "StateDirectory", "leaguemail"},
			{"Service", "Restart", "on-failure"},
			{"Service", "TimeoutStopSec", "30"},
			{"Service", "NoNewPrivileges", "yes"},
			{"Service", "ProtectSystem", "strict"},
			{"Service", "ProtectHome", "yes"},
			{"Service", "PrivateTmp", "yes"},
			{"Service", "ReadWritePaths", "/var/lib/leaguemail"},
			{"Service", "RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"},
			{"Install", "WantedBy", "multi-user.target"},
		} {
			if got := u.get(c.section, c.key); got != c.want {
				t.Errorf("[%s] %s = %q, want %q", c.section, c.key, got, c.want)
			}
		}
	})

	// The binary must accept the ExecStart line as written. Its config
	// path is mapped to files of this test: serve with a broken config
	// must fail on the config (exit 1), not on its flags (exit 2); and
	// check-config with the same flags passes on the example.
	t.Run("ExecStart", func(t *testing.T) {
		args := strings.Fields(u.get("Service", "ExecStart"))
		if len(args) < 2 || args[0] != "/usr/local/bin/leaguemail" {
			t.Fatalf("ExecStart %q: want /usr/local/bin/leaguemail serve ...", args)
		}
		if help := e2etest.Exec(t, bin, "help"); !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(args[1]) + `\s`).MatchString(help.Stderr) {
			t.Errorf("ExecStart runs %q, which `leaguemail help` does not list:\n%s", args[1], help.Stderr)
		}
		i := slices.Index(args, "--config")
		if i < 0 || i+1 >= len(args) {
			t.Fatalf("ExecStart %q has no --config FILE", args)
		}
		if got, want := filepath.Base(args[i+1]), filepath.Base(exampleConfig); got != want {
			t.Errorf("ExecStart's config is %s; the example to install there is %s", got, want)
		}
		with := func(config string) []string {
			a := slices.Clone(args[1:])
			a[i] = config
			return append(a, "--db", filepath.Join(t.TempDir(), "leaguemail.db"))
		}
		broken := filepath.Join("testdata", "bad", "missing_smtp_url.toml")
		if r := e2etest.Exec(t, bin, with(broken)...); r.Code != 1 || !strings.Contains(r.Stderr, broken) {
			t.Errorf("leaguemail %s: exit status %d, want 1 with an error about %s\nstderr: %s", strings.Join(with(broken), " "), r.Code, broken, r.Stderr)
		}
		check := append([]string{"check-config", "--offline"}, with(exampleConfig)[1:]...)
		if r := e2etest.ExecEnv(t, bin, []string{"LEAGUEMAIL_LEAGUE_SECRET=" + realSecret}, check...); r.Code != 0 {
			t.Errorf("leaguemail %s: exit status %d\nstderr: %s", strings.Join(check, " "), r.Code, r.Stderr)
		}
	})

	// What the example config writes must be writable under the unit's
	// ProtectSystem=strict.
	t.Run("writable paths", func(t *testing.T) {
		cfg, err := config.Load(exampleConfig, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		state := "/var/lib/" + u.get("Service", "StateDirectory")
		rw := append(strings.Fields(u.get("Service", "ReadWritePaths")), state)
		for key, p := range map[string]string{"store.path": cfg.Store.Path, "export.dir": cfg.Export.Dir} {
			if !slices.ContainsFunc(rw, func(d string) bool { return strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") }) {
				t.Errorf("the example's %s %s is outside the unit's writable paths %q", key, p, rw)
			}
		}
		if !strings.HasPrefix(cfg.HTTP.Listen, "127.0.0.1:") {
			t.Errorf("the example's http.listen %s: keep it on loopback, behind a TLS front end", cfg.HTTP.Listen)
		}
	})

	t.Run("systemd-analyze verify", func(t *testing.T) {
		sa, err := exec.LookPath("systemd-analyze")
		if err != nil {
			t.Skip("systemd-analyze is not installed")
		}
		// verify wants ExecStart's program to exist: point it at the
		// binary just built, in a copy named as the unit is.
		dir := t.TempDir()
		copyPath := filepath.Join(dir, filepath.Base(unitFile))
		text := strings.ReplaceAll(string(text), "/usr/local/bin/leaguemail", bin)
		if err := os.WriteFile(copyPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sa, "verify", copyPath).CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
		// It exits 0 on an unknown key or a bad value, with a warning
		// naming the file: any such line is a mistake of the unit.
		for _, l := range strings.Split(string(out), "\n") {
			if strings.Contains(l, filepath.Base(unitFile)) {
				t.Errorf("systemd-analyze verify: %s", l)
			}
		}
	})
}
