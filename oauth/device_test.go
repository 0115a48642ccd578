package oauth_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/oauth"
)

// syncBuffer is written by Device and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestDeviceLoginWritesTheRefreshToken(t *testing.T) {
	srv := oauthtest.Start(t, "")
	file := filepath.Join(t.TempDir(), "refresh-token")
	var out syncBuffer
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		done <- oauth.Device(ctx, oauth.Config{Provider: "google", TokenURL: srv.TokenURL(), DeviceURL: srv.DeviceURL(),
			ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, RefreshTokenFile: file}, &out)
	}()
	// The operator reads the code and enters it in a browser.
	code := regexp.MustCompile(`\b[0-9A-F]{4}-[0-9A-F]{4}\b`)
	var userCode string
	for userCode == "" {
		select {
		case err := <-done:
			t.Fatalf("Device ended before sign-in: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		userCode = code.FindString(out.String())
	}
	if !strings.Contains(out.String(), srv.URL+"/activate") {
		t.Errorf("the operator is not told where to go:\n%s", out.String())
	}
	time.Sleep(1200 * time.Millisecond) // one authorization_pending first
	if !srv.Approve(userCode, "report@league.example") {
		t.Fatalf("user code %q unknown", userCode)
	}
	if err := <-done; err != nil {
		t.Fatalf("Device: %v\n%s", err, out.String())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rt := strings.TrimSpace(string(b))
	if !srv.RefreshTokenValid(rt) {
		t.Fatalf("file holds %q, not a refresh token the server issued", rt)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	if strings.Contains(out.String(), rt) {
		t.Error("the refresh token was printed")
	}
	if srv.Counts().DeviceTokens < 2 {
		t.Errorf("polled %d times: authorization_pending was not waited out", srv.Counts().DeviceTokens)
	}
}

// The browser sign-in: the redirect to our loopback port, or the address
// the browser ended on pasted into the terminal, gives the code, which is
// traded for a refresh token (PKCE) written to the file.
func TestBrowserLogin(t *testing.T) {
	for _, paste := range []bool{false, true} {
		name := "redirect"
		if paste {
			name = "pasted"
		}
		t.Run(name, func(t *testing.T) {
			srv := oauthtest.Start(t, "report@league.example")
			file := filepath.Join(t.TempDir(), "refresh-token")
			var out syncBuffer
			pr, pw := io.Pipe()
			defer pw.Close()
			done := make(chan error, 1)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			go func() {
				done <- oauth.Browser(ctx, oauth.Config{Provider: "google", TokenURL: srv.TokenURL(), AuthURL: srv.AuthURL(),
					ClientID: srv.ClientID, ClientSecret: srv.ClientSecret, RefreshTokenFile: file}, pr, &out)
			}()
			addr := regexp.MustCompile(`https?://\S+/authorize\?\S+`)
			var authURL string
			for authURL == "" {
				select {
				case err := <-done:
					t.Fatalf("ended early: %v\n%s", err, out.String())
				case <-time.After(20 * time.Millisecond):
				}
				authURL = addr.FindString(out.String())
			}
			// The browser: the provider sends it back to the redirect URI.
			client := &http.Client{}
			if paste {
				client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			}
			resp, err := client.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if paste {
				// The browser on another machine cannot reach our port.
				fmt.Fprintln(pw, "not an address")
				fmt.Fprintln(pw, resp.Header.Get("Location"))
			}
			if err := <-done; err != nil {
				t.Fatalf("Browser: %v\n%s", err, out.String())
			}
			b, _ := os.ReadFile(file)
			if rt := strings.TrimSpace(string(b)); !srv.RefreshTokenValid(rt) || strings.Contains(out.String(), rt) {
				t.Fatalf("file holds %q (or it was printed)", rt)
			}
		})
	}
	// A refused consent says so, and writes nothing.
	srv := oauthtest.Start(t, "report@league.example")
	srv.SetFail("access_denied")
	file := filepath.Join(t.TempDir(), "refresh-token")
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- oauth.Browser(context.Background(), oauth.Config{Provider: "google", TokenURL: srv.TokenURL(), AuthURL: srv.AuthURL(),
			ClientID: srv.ClientID, RefreshTokenFile: file}, strings.NewReader(""), &out)
	}()
	var authURL string
	for authURL == "" {
		time.Sleep(20 * time.Millisecond)
		authURL = regexp.MustCompile(`https?://\S+/authorize\?\S+`).FindString(out.String())
	}
	if resp, err := http.Get(authURL); err == nil {
		resp.Body.Close()
	}
	if err := <-done; err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Fatalf("error %v, want access_denied", err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a refused sign-in wrote the file")
	}
}
