package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `# leaguemail test config
[league]
address = "report@league.example"
domains = ["league.example", "league.example.org"]
secret  = "0123456789abcdef0123456789abcdef"

[imap]
url = "imap://report:pw@127.0.0.1:1143/INBOX?tls=none"
poll_interval = "30s"

[[imap.mailboxes]]
url = "imap://abuse:pw@127.0.0.1:1143/INBOX?tls=none"

[smtp]
url = "smtp://127.0.0.1:2525?tls=none"

[store]
retention = "180d"

[triage]
triagers = ["alex@volunteers.example.org"]
authserv_id = "mx.league.example"
`

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "leaguemail.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadGood(t *testing.T) {
	c, err := Load(write(t, good), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Defaults()
	if err := c.Require(); err != nil {
		t.Fatal(err)
	}
	if c.IMAP.PollInterval.Duration != 30*time.Second || c.Store.Retention.Duration != 180*24*time.Hour {
		t.Errorf("durations: %v %v", c.IMAP.PollInterval, c.Store.Retention)
	}
	if len(c.IMAP.Mailboxes) != 1 || c.Triage.AcksPerHour != 5 || c.Store.Path != "leaguemail.db" {
		t.Errorf("config = %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		env  []string
		want string // the whole line the user reads, or its start
	}{
		{"bad duration", strings.Replace(good, `"30s"`, `"soon"`, 1), nil, `leaguemail.toml:9: [imap] poll_interval: "soon" is not a duration`},
		{"unknown key", strings.Replace(good, "[smtp]\n", "[smtp]\nhots = \"x\"\n", 1), nil, "leaguemail.toml:15: [smtp] hots: unknown key"},
		{"bad address", strings.Replace(good, `"report@league.example"`, `"League <report@league.example>"`, 1), nil, "leaguemail.toml:3: [league] address: "},
		{"bad triager", strings.Replace(good, `"alex@volunteers.example.org"`, `"alex"`, 1), nil, "leaguemail.toml:21: [triage] triagers: "},
		{"not toml", "[league\naddress = 1", nil, "leaguemail.toml:2: expected"},
		{"wrong type", strings.Replace(good, `secret  = "0123456789abcdef0123456789abcdef"`, "secret = 42", 1), nil, "leaguemail.toml:5: [league] secret: incompatible types"},
		{"env overrides a bad value", good, []string{"LEAGUEMAIL_TRIAGE_ACKS_PER_HOUR=many"}, `LEAGUEMAIL_TRIAGE_ACKS_PER_HOUR: "many" is not a whole number`},
		{"retry bounds upside down", strings.Replace(good, "[smtp]\n", "[smtp]\nretry_min = \"10m\"\nretry_max = \"1m\"\n", 1), nil, "leaguemail.toml:16: [smtp] retry_max: 1m0s is below retry_min 10m0s"},
		{"bad imap auth", strings.Replace(good, "poll_interval = \"30s\"\n", "poll_interval = \"30s\"\nauth = \"kerberos\"\n", 1), nil, `leaguemail.toml:10: [imap] auth: "kerberos": want password, xoauth2 or oauthbearer`},
		{"token login with no flow", strings.Replace(good, "[smtp]\n", "[smtp]\nauth = \"xoauth2\"\n", 1) + "\n[oauth]\nprovider = \"google\"\n", nil, "leaguemail.toml:25: [oauth] flow: missing"},
		{"unknown oauth key", good + "\n[oauth]\nflow = \"command\"\nsecret = \"x\"\n", nil, "leaguemail.toml:26: [oauth] secret: unknown key"},
		{"env sets a bad smtp auth", good, []string{"LEAGUEMAIL_SMTP_AUTH=ntlm"}, `LEAGUEMAIL_SMTP_AUTH: [smtp] auth: "ntlm"`},
		{"bad batch_bytes", strings.Replace(good, "poll_interval = \"30s\"\n", "poll_interval = \"30s\"\nbatch_bytes = \"lots\"\n", 1), nil, `leaguemail.toml:10: [imap] batch_bytes: "lots" is not a size`},
		{"negative batch_bytes", strings.Replace(good, "poll_interval = \"30s\"\n", "poll_interval = \"30s\"\nbatch_bytes = -5\n", 1), nil, `leaguemail.toml:10: [imap] batch_bytes: "-5" is not a size`},
		{"env sets a bad batch_bytes", good, []string{"LEAGUEMAIL_IMAP_BATCH_BYTES=12 parsecs"}, `LEAGUEMAIL_IMAP_BATCH_BYTES: "12 parsecs" is not a size`},
		{"env sets a bad log format", good, []string{"LEAGUEMAIL_LOG_FORMAT=xml"}, `LEAGUEMAIL_LOG_FORMAT: [log] format: "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(write(t, tt.body), true, tt.env)
			if err == nil {
				t.Fatal("no error")
			}
			msg := filepath.Base(err.Error())
			if i := strings.Index(err.Error(), "leaguemail.toml"); i >= 0 {
				msg = err.Error()[i:]
			}
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
		})
	}
}

func TestRequire(t *testing.T) {
	c, err := Load(write(t, strings.Replace(good, `url = "smtp://127.0.0.1:2525?tls=none"`, "", 1)), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Require()
	if err == nil || !strings.Contains(err.Error(), "leaguemail.toml:14: [smtp] url: missing") {
		t.Errorf("error = %v", err)
	}
}

// TestByteSize: batch_bytes is a TOML integer (bytes) or a string with a
// unit, binary or decimal, as operators write it.
func TestByteSize(t *testing.T) {
	for _, tt := range []struct {
		line string
		want int64
	}{
		{"batch_bytes = 1048576", 1 << 20},
		{`batch_bytes = "64MiB"`, 64 << 20},
		{`batch_bytes = "64 MiB"`, 64 << 20},
		{`batch_bytes = "512KiB"`, 512 << 10},
		{`batch_bytes = "1GiB"`, 1 << 30},
		{`batch_bytes = "10MB"`, 10_000_000},
		{`batch_bytes = "4096"`, 4096},
	} {
		c, err := Load(write(t, strings.Replace(good, "poll_interval = \"30s\"\n", "poll_interval = \"30s\"\n"+tt.line+"\n", 1)), true, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		if c.IMAP.BatchBytes.Bytes != tt.want {
			t.Errorf("%s: %d bytes, want %d", tt.line, c.IMAP.BatchBytes.Bytes, tt.want)
		}
	}
	c, err := Load(write(t, good), true, []string{"LEAGUEMAIL_IMAP_BATCH_BYTES=8MiB"})
	if err != nil || c.IMAP.BatchBytes.Bytes != 8<<20 {
		t.Errorf("from the environment: %v, %+v", err, c)
	}
}

func TestEnvironmentAlone(t *testing.T) {
	env := []string{
		"LEAGUEMAIL_LEAGUE_ADDRESS=report@league.example",
		"LEAGUEMAIL_LEAGUE_SECRET=3a7bd3e2360a3d29eea436fcfb7e44c7",
		"LEAGUEMAIL_IMAP_URL=imaps://u:p@imap.league.example/INBOX",
		"LEAGUEMAIL_SMTP_URL=smtps://u:p@smtp.league.example",
		"LEAGUEMAIL_TRIAGE_TRIAGERS=a@x.example.org, b@y.example.org",
		"HOME=/root",
	}
	c, err := Load(filepath.Join(t.TempDir(), "none.toml"), false, env)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Require(); err != nil {
		t.Fatal(err)
	}
	if len(c.Triage.Triagers) != 2 || c.Triage.Triagers[1] != "b@y.example.org" {
		t.Errorf("triagers = %q", c.Triage.Triagers)
	}
	if w := c.Where("imap.url"); w != "LEAGUEMAIL_IMAP_URL" {
		t.Errorf("where = %q", w)
	}
	// An explicit --config that does not exist is an error, not an empty config.
	if _, err := Load(filepath.Join(t.TempDir(), "none.toml"), true, env); err == nil {
		t.Error("a missing --config file was accepted")
	}
}

// FuzzParse: no config text may make the loader panic, and every error
// says where it stands.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("[imap]\npoll_interval = \"5x\"\n"))
	f.Add([]byte("[[imap.mailboxes]]\nurl = 1\n"))
	f.Add([]byte("[imap]\nbatch_bytes = \"64MiB\"\n"))
	f.Add([]byte("[imap]\nbatch_bytes = 9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("fuzz.toml", data)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.toml") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestCryptoConfig(t *testing.T) {
	dir := t.TempDir()
	key := dir + "/league.asc"
	os.WriteFile(key, []byte("x"), 0o600)
	tests := []struct {
		toml, err string
	}{
		{"[crypto]\nkey = \"" + key + "\"\n", ""},
		{"[crypto]\npassphrase_file = \"" + key + "\"\n", "crypto.toml:2: [crypto] passphrase_file: set, but [crypto] key is not"},
		{"[crypto]\nkey = \"" + key + "\"\nrequire_for = \"purple\"\n", "[crypto] require_for: \"purple\""},
		{"[crypto]\nsign = true\n", "[crypto] sign: true, but [crypto] key is not set"},
		{"[crypto]\nsmime_cert = \"" + key + "\"\n", "smime_cert and smime_key go together"},
	}
	for _, tt := range tests {
		c, err := Parse("crypto.toml", []byte(tt.toml))
		if tt.err == "" {
			if err != nil {
				t.Errorf("%q: %v", tt.toml, err)
				continue
			}
			if !c.Crypto.Signs() || c.Crypto.Required() != "amber" {
				t.Errorf("defaults with a key: sign %v, require_for %q", c.Crypto.Signs(), c.Crypto.Required())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%q: error %v, want %q", tt.toml, err, tt.err)
		}
	}
	var none Crypto
	if none.Signs() || none.Required() != "none" {
		t.Errorf("no key: sign %v, require_for %q", none.Signs(), none.Required())
	}
}

// The secrets of [oauth] can stay out of the file, like every key.
func TestOAuthFromEnvironment(t *testing.T) {
	body := strings.Replace(good, "[smtp]\n", "[smtp]\nauth = \"xoauth2\"\n", 1)
	c, err := Load(write(t, body), true, []string{
		"LEAGUEMAIL_OAUTH_FLOW=client_credentials", "LEAGUEMAIL_OAUTH_CLIENT_SECRET=s3cret", "LEAGUEMAIL_OAUTH_PROVIDER=microsoft",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.OAuth.Flow != "client_credentials" || c.OAuth.ClientSecret != "s3cret" || !c.UsesOAuth() {
		t.Fatalf("[oauth] = %+v", c.OAuth)
	}
	if w := c.Where("oauth.client_secret"); w != "LEAGUEMAIL_OAUTH_CLIENT_SECRET" {
		t.Errorf("Where = %q", w)
	}
}

// FuzzByteSize: any text either is refused or gives a size of 0 or more.
func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1 GiB", "10MB", "4096", "-1", "99999999999GiB", "kb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b ByteSize
		if err := b.UnmarshalText([]byte(s)); err == nil && b.Bytes < 0 {
			t.Fatalf("%q gave %d bytes", s, b.Bytes)
		}
	})
}
