package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/oauthtest"
)

// A mistake in [oauth] names the file, the line and the key, and the
// gateway does not start.
func TestOAuthConfigErrors(t *testing.T) {
	dir := t.TempDir()
	base := "[league]\naddress = \"report@league.example\"\nsecret = \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n" +
		"[imap]\nurl = \"imaps://report%40league.example@imap.league.example/INBOX\"\nauth = \"xoauth2\"\n" +
		"[smtp]\nurl = \"smtp://report%40league.example@smtp.league.example:587\"\nauth = \"xoauth2\"\n" +
		"[store]\npath = \"" + filepath.Join(dir, "s.db") + "\"\n[oauth]\n"
	for _, tc := range []struct {
		name, oauth, want string
	}{
		{"microsoft without tenant", "provider = \"microsoft\"\nflow = \"client_credentials\"\nclient_id = \"x\"\nclient_secret = \"y\"\n", "leaguemail.toml:12: [oauth] tenant: missing"},
		{"missing refresh token file", "provider = \"google\"\nflow = \"refresh_token\"\nclient_id = \"x\"\nrefresh_token_file = \"/nonexistent/rt\"\n", "leaguemail.toml:16: [oauth] refresh_token_file: /nonexistent/rt does not exist: run leaguemail oauth login"},
		{"plain http endpoint", "flow = \"client_credentials\"\ntoken_url = \"http://login.example/token\"\nclient_id = \"x\"\nclient_secret = \"y\"\nscope = \"s\"\n", "leaguemail.toml:14: [oauth] token_url: "},
		{"password in a token url", "flow = \"command\"\ncommand = \"echo t\"\n", "[imap] url: imap url: a password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := base + tc.oauth
			if strings.HasPrefix(tc.name, "password") {
				body = strings.Replace(body, "report%40league.example@imap", "report%40league.example:pw@imap", 1)
			}
			cfg := filepath.Join(dir, "leaguemail.toml")
			os.WriteFile(cfg, []byte(body), 0o600)
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"check-config", "--offline", "--config", cfg}, &out, &errb)
			if code != 1 || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, errb.String(), tc.want)
			}
			if strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
				t.Errorf("more than one line: %q", errb.String())
			}
		})
	}
}

// `leaguemail oauth login` prints where to sign in, waits for it, and
// writes the refresh token file that [oauth] names; it prints no token.
func TestOAuthLoginCommand(t *testing.T) {
	as := oauthtest.Start(t, "")
	dir := t.TempDir()
	rt := filepath.Join(dir, "secrets", "refresh-token")
	os.Mkdir(filepath.Dir(rt), 0o700)
	cfg := filepath.Join(dir, "leaguemail.toml")
	os.WriteFile(cfg, []byte("[oauth]\nflow = \"refresh_token\"\ntoken_url = \""+as.TokenURL()+"\"\ndevice_url = \""+as.DeviceURL()+
		"\"\nclient_id = \""+as.ClientID+"\"\nclient_secret = \""+as.ClientSecret+"\"\nrefresh_token_file = \""+rt+"\"\n"), 0o600)
	var out syncBuffer
	var errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"oauth", "login", "--provider", "google", "--method", "device", "--config", cfg}, &out, &errb)
	}()
	code := regexp.MustCompile(`\b[0-9A-F]{4}-[0-9A-F]{4}\b`)
	for !as.Approve(code.FindString(out.String()), "report@league.example") {
		select {
		case c := <-done:
			t.Fatalf("exit %d before sign-in: %s %s", c, out.String(), errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if c := <-done; c != 0 {
		t.Fatalf("exit %d: %s", c, errb.String())
	}
	b, err := os.ReadFile(rt)
	if err != nil || !as.RefreshTokenValid(strings.TrimSpace(string(b))) {
		t.Fatalf("refresh token file: %q %v", b, err)
	}
	if strings.Contains(out.String(), strings.TrimSpace(string(b))) {
		t.Error("the token was printed")
	}
	var o, e bytes.Buffer
	if c := run(ctx, []string{"oauth", "logout"}, &o, &e); c != 2 {
		t.Errorf("oauth logout: exit %d, want 2 (usage)", c)
	}
}
