// Package e2etest runs the built leaguemail binary against a real Dovecot
// and a real Postfix, for the end-to-end scenarios under e2e/.
//
// Each scenario is a test package of its own. Its TestMain calls Main, which
// builds the binary once for the package; its tests then call Start, which
// starts a Dovecot (package dovecottest) and a Postfix delivering into it
// (package postfixtest), and writes the gateway's config from the
// scenario's testdata/leaguemail.toml.tmpl. Serve starts `leaguemail serve`
// as a child process, whose stderr is kept in a file and shown when the
// test fails.
//
// Like the harnesses, a missing server skips the test, unless
// LEAGUEMAIL_E2E=1 is set, in which case it fails.
package e2etest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/hospital-league/leaguemail/internal/testport"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/internal/postfixtest"
	"github.com/hospital-league/leaguemail/store"
)

// Address is the league's contact address in every scenario.
const Address = "report@league.example"

var (
	buildOnce sync.Once
	buildDir  string
	binPath   string
	buildErr  error
)

// Main runs a scenario package's tests and removes the binary built for
// them. Call it from TestMain: os.Exit(e2etest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// Binary returns the path of the leaguemail binary, built on first use
// with `go build -o` from the module this package belongs to. Building
// the binary, not calling the command's code, is the point: the scenarios
// test what is deployed, flags, exit statuses and signals included.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "leaguemail-e2e")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "leaguemail")
		start := time.Now()
		cmd := exec.Command("go", "build", "-o", binPath, "github.com/hospital-league/leaguemail/cmd/leaguemail")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "e2etest: built leaguemail in %v\n", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatalf("e2etest: %v", buildErr)
	}
	return binPath
}

// Env is one scenario's world: the mail servers, a temporary folder, the
// gateway's config in it, and the binary.
type Env struct {
	T       testing.TB
	Bin     string
	Dir     string // temporary folder of the config, store, logs
	Dovecot *dovecottest.Server
	Postfix *postfixtest.Server
	Config  string // path of the config written from the template
	Data    ConfigData
	// OAuth is the authorization server of StartWith's OAuth option: the
	// token endpoint of [oauth], and the introspection endpoint against
	// which Dovecot checks every token login, IMAP and SMTP AUTH alike.
	OAuth *oauthtest.Server
	// HTTPClient is how Serve waits for the listener; a plain client if
	// nil (ServeHTTPS needs one that trusts the certificate).
	HTTPClient *http.Client
}

// Options change what StartWith starts.
type Options struct {
	// OAuth starts an authorization server (package oauthtest), Dovecot
	// with its oauth2 passdb, and Postfix with SMTP AUTH by Dovecot SASL;
	// ConfigData's OAuth fields are filled in.
	OAuth bool
}

// ConfigData fills a scenario's testdata/leaguemail.toml.tmpl.
type ConfigData struct {
	Address    string // the league's contact address
	Secret     string // [league] secret
	IMAPURL    string // the contact mailbox on the test Dovecot, plain text
	SMTPURL    string // the test Postfix, plain text
	Store      string // [store] path
	HTTPListen string // 127.0.0.1:port, a port free when Start looked
	ExportDir  string // a folder for the feeds
	Triagers   []string

	// With Options.OAuth: the urls with the user name alone, the [oauth]
	// endpoint and client, and a refresh token file holding a refresh
	// token issued to the contact address.
	IMAPTokenURL, SMTPTokenURL string
	TokenURL, ClientID         string
	ClientSecret               string
	RefreshTokenFile           string
	// TLSCert and TLSKey are [http] tls_cert and tls_key, for a scenario
	// that sets them before WriteConfig.
	TLSCert, TLSKey string
	// IMAPAuth and SMTPAuth are [imap] auth and [smtp] auth; a scenario
	// sets them before WriteConfig.
	IMAPAuth, SMTPAuth string
}

// Start starts Dovecot with its users and users besides (every address a
// scenario mails to needs a mailbox), a Postfix that delivers to all of
// them, and writes the config from testdata/leaguemail.toml.tmpl of the
// calling package (tests run in their package's folder).
func Start(t testing.TB, users ...string) *Env {
	t.Helper()
	return StartWith(t, Options{}, users...)
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options, users ...string) *Env {
	t.Helper()
	bin := Binary(t)
	for _, u := range users {
		if !slices.Contains(dovecottest.Users, u) {
			dovecottest.Users = append(dovecottest.Users, u)
		}
	}
	var as *oauthtest.Server
	var dopts dovecottest.Options
	if opts.OAuth {
		as = oauthtest.Start(t, Address)
		dopts.IntrospectionURL = as.IntrospectionURL()
	}
	dc := dovecottest.StartWith(t, dopts)
	var popts postfixtest.Options
	if opts.OAuth {
		popts.SASLAddr = dc.AuthAddr
	}
	pf := postfixtest.StartWith(t, popts, dc.LMTPAddr, dovecottest.Users...)
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{T: t, Bin: bin, Dir: dir, Dovecot: dc, Postfix: pf, OAuth: as, Config: filepath.Join(dir, "leaguemail.toml")}
	e.Data = ConfigData{
		Address:    Address,
		Secret:     "e2e-secret-0123456789abcdef",
		IMAPURL:    dc.URL(Address),
		SMTPURL:    "smtp://" + pf.Addr + "?tls=none",
		Store:      filepath.Join(dir, "leaguemail.db"),
		HTTPListen: net.JoinHostPort("127.0.0.1", fmt.Sprint(port)),
		ExportDir:  filepath.Join(dir, "feeds"),
		Triagers:   []string{"alex@volunteers.example"},
	}
	if as != nil {
		user := strings.ReplaceAll(Address, "@", "%40")
		e.Data.IMAPTokenURL = "imap://" + user + "@" + dc.Addr + "/INBOX?tls=none"
		e.Data.SMTPTokenURL = "smtp://" + user + "@" + pf.Addr + "?tls=none"
		e.Data.TokenURL, e.Data.ClientID, e.Data.ClientSecret = as.TokenURL(), as.ClientID, as.ClientSecret
		e.Data.RefreshTokenFile = filepath.Join(dir, "oauth-refresh-token")
		if err := os.WriteFile(e.Data.RefreshTokenFile, []byte(as.NewRefreshToken(Address)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		e.Data.IMAPAuth, e.Data.SMTPAuth = "xoauth2", "oauthbearer"
	}
	e.WriteConfig(filepath.Join("testdata", "leaguemail.toml.tmpl"))
	return e
}

// WriteConfig (re)writes e.Config from the template at path with e.Data.
func (e *Env) WriteConfig(path string) {
	e.T.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		e.T.Fatalf("e2etest: config template: %v", err)
	}
	tmpl, err := template.New(filepath.Base(path)).Funcs(template.FuncMap{"quote": tomlQuote, "list": tomlList}).
		Option("missingkey=error").Parse(string(text))
	if err != nil {
		e.T.Fatalf("e2etest: config template: %v", err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, e.Data); err != nil {
		e.T.Fatalf("e2etest: config template: %v", err)
	}
	if err := os.WriteFile(e.Config, b.Bytes(), 0o600); err != nil {
		e.T.Fatal(err)
	}
}

// tomlQuote writes s as a TOML basic string.
func tomlQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func tomlList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = tomlQuote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago:
// the gateway's listen address must be known before it starts.
func freePort() (int, error) { return testport.Free() }

// Result is how a command of the binary ended.
type Result struct {
	Stdout, Stderr string
	Code           int // exit status; -1 when it did not exit normally
}

// execLimit bounds one command of the binary: a command that should fail
// at once but serves instead must not hang the test.
const execLimit = time.Minute

// Exec runs the binary with args, with none of the test's LEAGUEMAIL_*
// variables (they would override the config), and returns what it wrote
// and its exit status. It fails the test only when the binary could not
// be run at all, or ran for over a minute.
func Exec(t testing.TB, bin string, args ...string) Result {
	t.Helper()
	return ExecEnv(t, bin, nil, args...)
}

// ExecEnv is Exec with the variables of env ("KEY=value") set too.
func ExecEnv(t testing.TB, bin string, env []string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), execLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("e2etest: leaguemail %s still running after %v; killed\n%s", strings.Join(args, " "), execLimit, res.Stderr)
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	default:
		t.Fatalf("e2etest: run leaguemail %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// Run runs the binary with args and --config e.Config, and fails the test
// unless it exits 0. It returns the standard output.
func (e *Env) Run(args ...string) string {
	e.T.Helper()
	args = append(args, "--config", e.Config)
	r := Exec(e.T, e.Bin, args...)
	if r.Code != 0 {
		e.T.Fatalf("leaguemail %s: exit status %d\nstderr: %s\nstdout: %s", strings.Join(args, " "), r.Code, r.Stderr, r.Stdout)
	}
	return r.Stdout
}

func cleanEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "LEAGUEMAIL_") })
}

// Tickets reads the store through `leaguemail tickets list --json`.
func (e *Env) Tickets() []store.TicketSummary {
	e.T.Helper()
	var ts []store.TicketSummary
	out := e.Run("tickets", "list", "--json")
	if err := json.Unmarshal([]byte(out), &ts); err != nil {
		e.T.Fatalf("tickets list --json: %v\n%s", err, out)
	}
	return ts
}

// Ticket reads ticket n through `leaguemail tickets show N --json`.
func (e *Env) Ticket(n int64) *store.TicketDetail {
	e.T.Helper()
	var d store.TicketDetail
	out := e.Run("tickets", "show", strconv.FormatInt(n, 10), "--json")
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		e.T.Fatalf("tickets show %d --json: %v\n%s", n, err, out)
	}
	return &d
}
