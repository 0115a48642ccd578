package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"golang.org/x/text/language"
)

// DefaultPath is where the config is looked for when no --config is given.
const DefaultPath = "leaguemail.toml"

// envPrefix starts every environment variable that sets a key.
const envPrefix = "LEAGUEMAIL_"

var typeErr = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

// Error is a mistake in the configuration, with where it stands.
type Error struct {
	Where string // "leaguemail.toml:7", or the environment variable's name
	Key   string // "imap.url"
	Msg   string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %s", e.Where, e.Msg)
	}
	section, key, ok := strings.Cut(e.Key, ".")
	if ok {
		return fmt.Sprintf("%s: [%s] %s: %s", e.Where, section, key, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Where, e.Key, e.Msg)
}

// Load reads the config file at path, then the environment, and checks
// both. A missing file is an error only when must is set (an explicit
// --config): the environment alone may configure the gateway.
func Load(path string, must bool, environ []string) (*Config, error) {
	c := &Config{file: path, lines: map[string]int{}, fromEnv: map[string]bool{}}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := c.decode(data); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist) && !must:
		c.file = ""
	default:
		return nil, fmt.Errorf("reading config: %w", err)
	}
	if err := c.applyEnv(environ); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse reads a config from bytes, as Load does a file; name is what
// errors call it.
func Parse(name string, data []byte) (*Config, error) {
	c := &Config{file: name, lines: map[string]int{}, fromEnv: map[string]bool{}}
	if err := c.decode(data); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) decode(data []byte) error {
	c.lines = keyLines(data)
	md, err := toml.Decode(string(data), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return &Error{Where: fmt.Sprintf("%s:%d", c.file, pe.Position.Line), Key: pe.LastKey, Msg: pe.Message}
		}
		// Type mismatches come as text: "toml: line 5 (last key "a.b"): ...".
		if m := typeErr.FindStringSubmatch(err.Error()); m != nil {
			return &Error{Where: c.file + ":" + m[1], Key: m[2], Msg: m[3]}
		}
		return &Error{Where: c.file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	// A key we do not know is a typo that would silently change nothing.
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return &Error{Where: c.Where(k), Key: k, Msg: "unknown key (check its spelling and section)"}
	}
	return nil
}

// Where says where a key was set: "file:line", the environment variable,
// or the file alone when the key is missing from it.
func (c *Config) Where(key string) string {
	if c.fromEnv[key] {
		return envName(key)
	}
	if n, ok := c.lines[key]; ok {
		return fmt.Sprintf("%s:%d", c.file, n)
	}
	// A missing key is pointed at its section, where it belongs.
	if section, _, ok := strings.Cut(key, "."); ok {
		if n, ok := c.lines[section]; ok {
			return fmt.Sprintf("%s:%d", c.file, n)
		}
	}
	if c.file == "" {
		return "environment"
	}
	return c.file
}

// Errorf makes an Error about one key, for the checks the consumers of
// the config make (a URL that does not parse, a server that is down).
func (c *Config) Errorf(key, format string, args ...any) error {
	return &Error{Where: c.Where(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

// keyLines finds the line of each key in a TOML text: "section.key" ->
// line. It reads only what a config of ours holds: [section] headers,
// [[section.array]] headers and key = value lines.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "[["):
			section = strings.Trim(l, "[] \t")
		case strings.HasPrefix(l, "["):
			section = strings.Trim(l, "[] \t")
			if _, dup := lines[section]; !dup {
				lines[section] = n
			}
		default:
			if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
				k = strings.Trim(strings.TrimSpace(k), `"`)
				full := k
				if section != "" {
					full = section + "." + k
				}
				if _, dup := lines[full]; !dup {
					lines[full] = n
				}
			}
		}
	}
	return lines
}

func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// applyEnv sets every key for which a LEAGUEMAIL_ variable is set. Lists
// are comma-separated.
func (c *Config) applyEnv(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	for i := 0; i < rt.NumField(); i++ {
		sec := rt.Field(i).Tag.Get("toml")
		if sec == "" {
			continue
		}
		sv := rv.Field(i)
		st := sv.Type()
		for j := 0; j < st.NumField(); j++ {
			key := sec + "." + st.Field(j).Tag.Get("toml")
			v, ok := env[envName(key)]
			if !ok {
				continue
			}
			if err := setValue(sv.Field(j), v); err != nil {
				return &Error{Where: envName(key), Msg: err.Error()}
			}
			c.fromEnv[key] = true
		}
	}
	return nil
}

func setValue(f reflect.Value, v string) error {
	switch f.Interface().(type) {
	case string:
		f.SetString(v)
	case []string:
		var list []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		f.Set(reflect.ValueOf(list))
	case bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q: want true or false", v)
		}
		f.SetBool(b)
	case int:
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", v)
		}
		f.SetInt(int64(n))
	case float64:
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", v)
		}
		f.SetFloat(n)
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q: want true or false", v)
		}
		f.Set(reflect.ValueOf(&b))
	case ByteSize:
		var b ByteSize
		if err := b.UnmarshalText([]byte(v)); err != nil {
			return err
		}
		f.Set(reflect.ValueOf(b))
	case Duration:
		var d Duration
		if err := d.UnmarshalText([]byte(v)); err != nil {
			return err
		}
		f.Set(reflect.ValueOf(d))
	default:
		return fmt.Errorf("cannot be set from the environment; use the config file")
	}
	return nil
}

// UnmarshalText reads a duration: Go's forms ("90s", "1h30m"), and days
// ("180d"), since retention periods are counted in days.
func (d *Duration) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return fmt.Errorf("%q is not a duration: write it like 90s, 15m, 2h or 180d", s)
		}
		d.Duration = time.Duration(days) * 24 * time.Hour
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration: write it like 90s, 15m, 2h or 180d", s)
	}
	d.Duration = v
	return nil
}

// check verifies the shape of each value: what the gateway needs to run
// is checked by Require.
func (c *Config) check() error {
	if a := c.League.Address; a != "" {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a || p.Name != "" {
			return c.Errorf("league.address", "%q is not a bare mail address like report@league.example", a)
		}
	}
	for _, t := range c.Triage.Triagers {
		if p, err := mail.ParseAddress(t); err != nil || p.Address != t {
			return c.Errorf("triage.triagers", "%q is not a bare mail address", t)
		}
	}
	for _, d := range c.League.Domains {
		if d == "" || strings.ContainsAny(d, "@/: ") {
			return c.Errorf("league.domains", "%q is not a domain name", d)
		}
	}
	if c.Triage.AcksPerHour < 0 {
		return c.Errorf("triage.acks_per_hour", "%d: want 0 or more", c.Triage.AcksPerHour)
	}
	if c.Triage.AutoMailsPerHour < 0 {
		return c.Errorf("triage.auto_mails_per_hour", "%d: want 1 or more (0 takes the default, 200)", c.Triage.AutoMailsPerHour)
	}
	if lo, hi := c.SMTP.RetryMin.Duration, c.SMTP.RetryMax.Duration; lo > 0 && hi > 0 && hi < lo {
		return c.Errorf("smtp.retry_max", "%v is below retry_min %v", hi, lo)
	}
	for _, k := range []struct{ key, val string }{{"imap.auth", c.IMAP.Auth}, {"smtp.auth", c.SMTP.Auth}} {
		switch strings.ToLower(k.val) {
		case "", "password", "xoauth2", "oauthbearer":
		default:
			return c.Errorf(k.key, "%q: want password, xoauth2 or oauthbearer", k.val)
		}
	}
	if c.UsesOAuth() && c.OAuth.Flow == "" {
		return c.Errorf("oauth.flow", "missing: [imap] or [smtp] auth logs in with a token; say where it comes from: client_credentials, refresh_token or command")
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		return c.Errorf("log.format", "%q: want text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "", "debug", "info", "warn", "error":
	default:
		return c.Errorf("log.level", "%q: want debug, info, warn or error", c.Log.Level)
	}
	if err := c.checkStore(); err != nil {
		return err
	}
	if err := c.checkTakedown(); err != nil {
		return err
	}
	if err := c.checkSLA(); err != nil {
		return err
	}
	if c.League.Lang != "" {
		if _, err := language.Parse(c.League.Lang); err != nil {
			return c.Errorf("league.lang", "%q is not a BCP 47 language tag (like fr or pt-BR)", c.League.Lang)
		}
	}
	switch c.Export.TLPMax {
	case "", "clear", "white", "green", "amber", "amber+strict", "red":
	default:
		return c.Errorf("export.tlp_max", "%q: want clear, green, amber or red", c.Export.TLPMax)
	}
	if err := c.checkPublicURL(); err != nil {
		return err
	}
	if err := c.checkTLS(); err != nil {
		return err
	}
	if err := c.checkTAXII(); err != nil {
		return err
	}
	return c.checkCrypto()
}

// Require checks that the keys the gateway needs to serve are set.
func (c *Config) Require() error {
	for _, k := range []struct {
		key, val, example string
	}{
		{"league.address", c.League.Address, `"report@league.example"`},
		{"league.secret", c.League.Secret, "a long random string (openssl rand -hex 32)"},
		{"imap.url", c.IMAP.URL, `"imaps://user:pass@imap.league.example/INBOX"`},
		{"smtp.url", c.SMTP.URL, `"smtp://user:pass@smtp.league.example:587"`},
	} {
		if k.val == "" {
			return c.Errorf(k.key, "missing: set it to %s (or set %s)", k.example, envName(k.key))
		}
	}
	if len(c.League.Secret) < 16 {
		return c.Errorf("league.secret", "too short: reply tokens need at least 16 characters of secret (make one with: openssl rand -hex 32)")
	}
	if why := checkSecret(c.League.Secret); why != "" {
		return c.Errorf("league.secret", "%s", why)
	}
	return nil
}

// Defaults fills in what a deployment need not set.
func (c *Config) Defaults() {
	if c.League.Name == "" {
		// The name seeds every STIX id of the feeds: keep it once chosen.
		c.League.Name = "Hospital League"
	}
	if c.Store.Path == "" && c.Store.URL == "" {
		c.Store.Path = "leaguemail.db"
	}
	if c.Store.Failover.Duration == 0 {
		c.Store.Failover.Duration = 15 * time.Second
	}
	if c.Triage.AcksPerHour == 0 {
		c.Triage.AcksPerHour = 5
	}
	if c.Triage.AutoMailsPerHour == 0 {
		c.Triage.AutoMailsPerHour = 200
	}
	if c.Triage.TokenTTL.Duration == 0 {
		c.Triage.TokenTTL.Duration = 30 * 24 * time.Hour
	}
	if c.Export.TLPMax == "" {
		c.Export.TLPMax = "green"
	}
	if len(c.League.Domains) == 0 {
		if _, d, ok := strings.Cut(c.League.Address, "@"); ok {
			c.League.Domains = []string{d}
		}
	}
}

// MarshalText writes the duration back, in days when it is whole days.
func (d Duration) MarshalText() ([]byte, error) {
	if d.Duration > 0 && d.Duration%(24*time.Hour) == 0 {
		return []byte(strconv.Itoa(int(d.Duration/(24*time.Hour))) + "d"), nil
	}
	return []byte(d.Duration.String()), nil
}
