package oauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/oauth"
)

// clock is a time.Now that a test moves forward.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

func TestClientCredentialsCachesAndRenewsEarly(t *testing.T) {
	srv := oauthtest.Start(t, "report@league.example")
	var clk clock
	src, err := oauth.New(oauth.Config{
		Flow: oauth.FlowClientCredentials, TokenURL: srv.TokenURL(),
		ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Scope: "https://outlook.office365.com/.default",
		Now: clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t2, _ := src.Token(ctx); t2 != t1 || srv.Counts().ClientCredentials != 1 {
		t.Fatalf("a second Token fetched again: %d requests", srv.Counts().ClientCredentials)
	}
	// An hour's token is renewed 5 minutes before it expires, not after.
	clk.advance(54 * time.Minute)
	if t3, _ := src.Token(ctx); t3 != t1 {
		t.Fatal("renewed 6 minutes before expiry: too early")
	}
	clk.advance(2 * time.Minute)
	t4, err := src.Token(ctx)
	if err != nil || t4 == t1 {
		t.Fatalf("not renewed 4 minutes before expiry: %v", err)
	}
	// A server that refuses the token makes the next login fetch anew.
	src.Invalidate(t4)
	t5, _ := src.Token(ctx)
	if t5 == t4 || srv.Counts().ClientCredentials != 3 {
		t.Fatalf("Invalidate did not drop the token (%d requests)", srv.Counts().ClientCredentials)
	}
	// Invalidating a token no longer in hand drops nothing.
	src.Invalidate(t4)
	if t6, _ := src.Token(ctx); t6 != t5 {
		t.Fatal("Invalidate of an old token dropped the current one")
	}
	if st := src.Status(); st.LastError != "" || st.LastSuccess.IsZero() || st.Fetches != 3 {
		t.Fatalf("status %+v", st)
	}
}

// An endpoint down while the token is due for renewal costs nothing until
// the token in hand expires; /healthz hears of it at once.
func TestRenewalFailureKeepsTheTokenUntilItExpires(t *testing.T) {
	srv := oauthtest.Start(t, "report@league.example")
	var clk clock
	src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: srv.TokenURL(),
		ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, Scope: "mail", Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t1, err := src.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetFail("temporarily_unavailable")
	clk.advance(58 * time.Minute)
	if got, err := src.Token(ctx); err != nil || got != t1 {
		t.Fatalf("in the renewal window with the endpoint down: %q, %v; want the token in hand", got, err)
	}
	if st := src.Status(); !strings.Contains(st.LastError, "temporarily_unavailable") {
		t.Errorf("the failed renewal is not in the status: %+v", st)
	}
	clk.advance(3 * time.Minute)
	if _, err := src.Token(ctx); err == nil {
		t.Fatal("an expired token was handed out")
	}
	// A refused token is not handed out again, even before its expiry.
	srv.SetFail("")
	clk.off.Store(0)
	t2, _ := src.Token(ctx)
	srv.SetFail("temporarily_unavailable")
	src.Invalidate(t2)
	if got, err := src.Token(ctx); err == nil {
		t.Fatalf("a refused token came back: %q", got)
	}
}

func TestRefreshTokenRotationIsWrittenBack(t *testing.T) {
	srv := oauthtest.Start(t, "")
	srv.SetRotate(true)
	first := srv.NewRefreshToken("report@league.example")
	dir := t.TempDir()
	file := filepath.Join(dir, "refresh-token")
	if err := os.WriteFile(file, []byte(first+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := oauth.Config{Flow: oauth.FlowRefreshToken, TokenURL: srv.TokenURL(), ClientID: srv.ClientID,
		ClientSecret: srv.ClientSecret, RefreshTokenFile: file}
	src, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	second := strings.TrimSpace(string(b))
	if second == first || !srv.RefreshTokenValid(second) || srv.RefreshTokenValid(first) {
		t.Fatalf("the rotated refresh token was not written back: file has %q", second)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Fatalf("refresh token file mode %v, want 0600", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// A restart reads the file: the new token works, and rotates again.
	src2, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src2.Invalidate("")
	if _, err := src2.Token(context.Background()); err != nil {
		t.Fatalf("after a restart: %v", err)
	}
	// The first source's refresh token was rotated away by the second;
	// its next refresh reads the file again and goes on.
	tok, _ := src.Token(context.Background())
	src.Invalidate(tok)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatalf("a source whose file another process rotated: %v", err)
	}
}

func TestEndpointFailuresNameTheErrorNotTheSecret(t *testing.T) {
	srv := oauthtest.Start(t, "report@league.example")
	rt := srv.NewRefreshToken("report@league.example")
	file := filepath.Join(t.TempDir(), "rt")
	os.WriteFile(file, []byte(rt), 0o600)
	for _, tc := range []struct {
		name, fail string
		garbage    bool
		secret     string
		want       string
	}{
		{"wrong secret", "", false, "not-the-secret-0123", "invalid_client"},
		{"revoked grant", "invalid_grant", false, srv.ClientSecret, "invalid_grant"},
		{"garbage answer", "", true, srv.ClientSecret, "not RFC 6749 JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.SetFail(tc.fail)
			srv.SetGarbage(tc.garbage)
			defer srv.SetFail("")
			defer srv.SetGarbage(false)
			for _, flow := range []string{oauth.FlowClientCredentials, oauth.FlowRefreshToken} {
				src, err := oauth.New(oauth.Config{Flow: flow, TokenURL: srv.TokenURL(), ClientID: srv.ClientID,
					ClientSecret: tc.secret, Scope: "mail", RefreshTokenFile: file})
				if err != nil {
					t.Fatal(err)
				}
				_, err = src.Token(context.Background())
				if err == nil {
					t.Fatalf("%s: no error", flow)
				}
				msg := err.Error()
				if !strings.Contains(msg, tc.want) {
					t.Errorf("%s: error %q does not say %q", flow, msg, tc.want)
				}
				for _, s := range []string{tc.secret, rt} {
					if strings.Contains(msg, s) {
						t.Errorf("%s: error holds a secret: %q", flow, msg)
					}
				}
				if st := src.Status(); "oauth: "+st.LastError != msg || st.ErrorSince.IsZero() {
					t.Errorf("%s: status %+v", flow, st)
				}
			}
		})
	}
}

func TestCommandFlow(t *testing.T) {
	for _, tc := range []struct {
		name, command, want, wantErr string
	}{
		{"bare token", "echo tok-123", "tok-123", ""},
		{"json response", `echo '{"access_token":"tok-json","expires_in":3600}'`, "tok-json", ""},
		{"failing command names its stderr", "echo 'vault sealed' >&2; exit 3", "", "vault sealed"},
		{"no output", "true", "", "printed no token"},
		{"not a token", "echo 'two words'", "", "not a bearer token"},
		{"broken json", "echo '{access'", "", "not a JSON token response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := oauth.New(oauth.Config{Flow: oauth.FlowCommand, Command: tc.command})
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Token(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCommandTimeout(t *testing.T) {
	src, err := oauth.New(oauth.Config{Flow: oauth.FlowCommand, Command: "sleep 30", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = src.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no token within") {
		t.Fatalf("error %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("a hung command held Token for %v", time.Since(start))
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte("s3cret\n"), 0o600)
	for _, tc := range []struct {
		name string
		cfg  oauth.Config
		key  string
	}{
		{"no flow", oauth.Config{Provider: "google"}, "flow"},
		{"bad flow", oauth.Config{Flow: "password"}, "flow"},
		{"bad provider", oauth.Config{Provider: "yahoo", Flow: "refresh_token"}, "provider"},
		{"microsoft without tenant", oauth.Config{Provider: "microsoft", Flow: "client_credentials", ClientID: "x", ClientSecret: "y"}, "tenant"},
		{"tenant for google", oauth.Config{Provider: "google", Tenant: "x", Flow: "refresh_token"}, "tenant"},
		{"no token url", oauth.Config{Flow: "client_credentials", ClientID: "x", ClientSecret: "y", Scope: "s"}, "token_url"},
		{"plain http", oauth.Config{Flow: "client_credentials", TokenURL: "http://login.example/token", ClientID: "x", ClientSecret: "y", Scope: "s"}, "token_url"},
		{"credentials in url", oauth.Config{Flow: "client_credentials", TokenURL: "https://id:pw@login.example/token", ClientID: "x", ClientSecret: "y", Scope: "s"}, "token_url"},
		{"no client id", oauth.Config{Provider: "google", Flow: "refresh_token"}, "client_id"},
		{"no secret", oauth.Config{Provider: "microsoft", Tenant: "league.example", Flow: "client_credentials", ClientID: "x"}, "client_secret"},
		{"both secrets", oauth.Config{Provider: "google", Flow: "refresh_token", ClientID: "x", ClientSecret: "y", ClientSecretFile: secretFile}, "client_secret_file"},
		{"missing secret file", oauth.Config{Provider: "google", Flow: "refresh_token", ClientID: "x", ClientSecretFile: "/nonexistent/secret"}, "client_secret_file"},
		{"no refresh token file", oauth.Config{Provider: "google", Flow: "refresh_token", ClientID: "x"}, "refresh_token_file"},
		{"missing refresh token file", oauth.Config{Provider: "google", Flow: "refresh_token", ClientID: "x", RefreshTokenFile: "/nonexistent/rt"}, "refresh_token_file"},
		{"no command", oauth.Config{Flow: "command"}, "command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oauth.New(tc.cfg)
			ce, ok := err.(*oauth.ConfigError)
			if !ok || ce.Key != tc.key {
				t.Fatalf("error %v, want one about %s", err, tc.key)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error holds the secret: %v", err)
			}
		})
	}
	// A provider fills in the endpoint and scope.
	if _, err := oauth.New(oauth.Config{Provider: "microsoft", Tenant: "league.example", Flow: "client_credentials", ClientID: "x", ClientSecretFile: secretFile}); err != nil {
		t.Fatalf("microsoft app-only config: %v", err)
	}
}

// A token endpoint that takes the request and never answers holds the
// login for the timeout only, and the error says so.
func TestEndpointThatNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: srv.URL + "/token",
		ClientID: "id", ClientSecret: "secret-never-shown", Scope: "mail", Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = src.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no answer in time") || strings.Contains(err.Error(), "secret-never-shown") {
		t.Fatalf("error %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("held for %v", d)
	}
}
