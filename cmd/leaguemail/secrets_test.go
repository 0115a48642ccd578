package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/mailin"
)

// syncBuffer is a log sink for the gateway's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecretsNeverShown runs the gateway against servers that refuse every
// connection, with passwords in both URLs and a token key, and reads
// everything it says: logs, errors, /healthz and /metrics. None may hold
// a secret (issue 9).
func TestSecretsNeverShown(t *testing.T) {
	secrets := []string{"Imap-Pa55word-9f", "Smtp-Pa55word-7c", "token-key-0123456789abcdef"}
	cfg, err := config.Parse("test.toml", []byte(`
[league]
address = "report@league.example"
secret = "`+secrets[2]+`"
[imap]
url = "imap://report%40league.example:`+secrets[0]+`@127.0.0.1:1/INBOX?tls=none"
[smtp]
url = "smtp://relay:`+secrets[1]+`@127.0.0.1:1?tls=none"
[store]
path = "`+filepath.Join(t.TempDir(), "s.db")+`"
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Defaults()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := newGateway(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	// A report queues an acknowledgement, so that the sender tries the
	// SMTP server too.
	raw := "From: a@hospital.example.com\r\nTo: report@league.example\r\nSubject: x\r\nMessage-ID: <s@hospital.example.com>\r\n\r\nhxxp://evil[.]example[.]com/\r\n"
	if err := (sink{g}).Take(ctx, []byte(raw), mailin.Origin{Mailbox: "file:test"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && (g.sender.Status().LastAttempt.IsZero() || g.intakes[0].Status().LastError == "") {
		time.Sleep(50 * time.Millisecond)
	}
	var seen strings.Builder
	for _, path := range []string{"/healthz", "/metrics"} {
		rec := httptest.NewRecorder()
		g.routes().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		body, _ := io.ReadAll(rec.Body)
		seen.Write(body)
	}
	if err := runCheckConfigWith(ctx, g, &seen); err == nil {
		t.Error("check-config passed against servers that refuse connections")
	} else {
		seen.WriteString(err.Error())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	seen.WriteString(logs.String())
	out := seen.String()
	if testing.Verbose() {
		t.Log(out)
	}
	if !strings.Contains(out, "127.0.0.1:1") {
		t.Fatalf("the test saw no connection error at all:\n%s", out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q shown:\n%s", s, out)
		}
	}
}

// TestOAuthSecretsNeverShown is TestSecretsNeverShown for token logins
// (issue 18): the client secret, the refresh tokens (the first and every
// rotated one) and every access token stay out of the logs, errors,
// /healthz and /metrics, while /healthz names the token endpoint's error.
func TestOAuthSecretsNeverShown(t *testing.T) {
	as := oauthtest.Start(t, "report@league.example")
	as.SetRotate(true)
	as.SetLifetime(2 * time.Second)
	dir := t.TempDir()
	rtFile := filepath.Join(dir, "refresh-token")
	first := as.NewRefreshToken("report@league.example")
	if err := os.WriteFile(rtFile, []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("test.toml", []byte(`
[league]
address = "report@league.example"
secret = "token-key-0123456789abcdef"
[imap]
url = "imap://report%40league.example@127.0.0.1:1/INBOX?tls=none"
auth = "xoauth2"
[smtp]
url = "smtp://report%40league.example@127.0.0.1:1?tls=none"
auth = "oauthbearer"
[oauth]
flow = "refresh_token"
token_url = "`+as.TokenURL()+`"
client_id = "`+as.ClientID+`"
client_secret = "`+as.ClientSecret+`"
refresh_token_file = "`+rtFile+`"
[store]
path = "`+filepath.Join(dir, "s.db")+`"
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Defaults()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := newGateway(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer g.close()
	raw := "From: a@hospital.example.com\r\nTo: report@league.example\r\nSubject: x\r\nMessage-ID: <s@hospital.example.com>\r\n\r\nhxxp://evil[.]example[.]com/\r\n"
	if err := (sink{g}).Take(ctx, []byte(raw), mailin.Origin{Mailbox: "file:test"}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- g.run(ctx) }()
	var seen strings.Builder
	look := func() {
		for _, path := range []string{"/healthz", "/metrics"} {
			rec := httptest.NewRecorder()
			g.routes().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			body, _ := io.ReadAll(rec.Body)
			seen.Write(body)
		}
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s:\n%s", what, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Tokens fetched and rotated, logins failing at the mail servers.
	waitUntil("two refreshes and both logins tried", func() bool {
		return as.Counts().Refreshes >= 2 && !g.sender.Status().LastAttempt.IsZero() && g.intakes[0].Status().LastError != ""
	})
	look()
	// Then the grant is revoked: /healthz says so in the endpoint's words.
	as.SetFail("invalid_grant")
	waitUntil("the endpoint's error in the status", func() bool { return g.oauth.Status().LastError != "" })
	rec := httptest.NewRecorder()
	g.routes().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	hz := rec.Body.String()
	seen.WriteString(hz)
	if rec.Code != 503 || !strings.Contains(hz, "oauth: ") || !strings.Contains(hz, "invalid_grant") {
		t.Errorf("/healthz does not name the OAuth failure (%d):\n%s", rec.Code, hz)
	}
	rec = httptest.NewRecorder()
	g.routes().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if m := rec.Body.String(); !strings.Contains(m, "leaguemail_oauth_failing 1") {
		t.Errorf("/metrics does not say OAuth is failing:\n%s", m)
	}
	look()
	if err := runCheckConfigWith(ctx, g, &seen); err == nil {
		t.Error("check-config passed with a revoked grant")
	} else {
		seen.WriteString(err.Error())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	seen.WriteString(logs.String())
	out := seen.String()
	if testing.Verbose() {
		t.Log(out)
	}
	secrets := append([]string{as.ClientSecret, first, cfg.League.Secret}, as.RefreshTokens()...)
	secrets = append(secrets, as.AccessTokens()...)
	if len(secrets) < 6 {
		t.Fatalf("only %d secrets to look for: the test saw too little", len(secrets))
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %q shown:\n%s", s, out)
		}
	}
	// The rotated token was saved: the file holds the last one issued.
	b, _ := os.ReadFile(rtFile)
	if rts := as.RefreshTokens(); strings.TrimSpace(string(b)) != rts[len(rts)-1] {
		t.Errorf("the refresh token file holds %q, not the last rotated token", b)
	}
}
