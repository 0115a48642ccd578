// Package oauthtest runs, on loopback, the OAuth 2.0 authorization server
// that the tests cannot reach in the real world (Microsoft's, Google's):
// a token endpoint that speaks RFC 6749's JSON (client_credentials,
// refresh_token with rotation, and the RFC 8628 device_code grant), the
// RFC 8628 device authorization endpoint, and an RFC 7662 introspection
// endpoint against which Dovecot's oauth2 passdb checks the tokens the
// gateway logs in with.
package oauthtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Server is a running authorization server.
type Server struct {
	URL string // http://127.0.0.1:port

	// ClientID and ClientSecret are the one client it knows.
	ClientID, ClientSecret string

	srv *httptest.Server

	mu       sync.Mutex
	user     string // whom client_credentials tokens log in as
	lifetime time.Duration
	rotate   bool
	fail     string // the error code every token request gets, when set
	garbage  bool   // token requests get a body that is not JSON
	access   map[string]grant
	refresh  map[string]string // refresh token -> user
	devices  map[string]*device
	codes    map[string]authCode
	counts   Counts
	bodies   []string

	issuedRefresh []string
}

type grant struct {
	user    string
	expires time.Time
	revoked bool
}

type device struct {
	code     string
	user     string
	approved bool
	polls    int
}

// authCode is an authorization code handed to a browser.
type authCode struct {
	user, redirect, challenge string
}

// Counts says what the server was asked.
type Counts struct {
	ClientCredentials, Refreshes, DeviceTokens, Codes, Introspections, Active, Inactive int
}

// Start starts a server, stopped at the end of the test. Tokens of
// client_credentials log in as user; every token lives an hour.
func Start(t testing.TB, user string) *Server {
	t.Helper()
	s := &Server{
		ClientID: "leaguemail-test-client", ClientSecret: "client-secret-" + random(8),
		user: user, lifetime: time.Hour,
		access: map[string]grant{}, refresh: map[string]string{}, devices: map[string]*device{}, codes: map[string]authCode{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.token)
	mux.HandleFunc("POST /device", s.deviceAuth)
	mux.HandleFunc("GET /authorize", s.authorize)
	mux.HandleFunc("POST /introspect", s.introspect)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// TokenURL, DeviceURL and IntrospectionURL are the endpoints.
func (s *Server) TokenURL() string         { return s.URL + "/token" }
func (s *Server) DeviceURL() string        { return s.URL + "/device" }
func (s *Server) IntrospectionURL() string { return s.URL + "/introspect" }
func (s *Server) AuthURL() string          { return s.URL + "/authorize" }

// SetLifetime sets the expires_in of the access tokens issued from now on.
func (s *Server) SetLifetime(d time.Duration) { s.mu.Lock(); s.lifetime = d; s.mu.Unlock() }

// SetRotate makes every refresh hand out a new refresh token and revoke
// the one used, as Microsoft's and many others' endpoints do.
func (s *Server) SetRotate(b bool) { s.mu.Lock(); s.rotate = b; s.mu.Unlock() }

// SetFail makes every token request fail with the RFC 6749 error code
// (invalid_client, ...); "" ends it.
func (s *Server) SetFail(code string) { s.mu.Lock(); s.fail = code; s.mu.Unlock() }

// SetGarbage makes token requests answer 200 with a body that is not JSON.
func (s *Server) SetGarbage(b bool) { s.mu.Lock(); s.garbage = b; s.mu.Unlock() }

// NewRefreshToken issues a refresh token for user, as a past sign-in did.
func (s *Server) NewRefreshToken(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newRefresh(user)
}

// RefreshTokenValid says whether rt may still be used.
func (s *Server) RefreshTokenValid(rt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.refresh[rt]
	return ok
}

// RevokeAccessTokens makes every access token issued so far inactive, as
// their expiry would: a client that still holds one finds out at login.
func (s *Server) RevokeAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, g := range s.access {
		g.revoked = true
		s.access[k] = g
	}
}

// AccessTokens lists every access token issued, in no order: for tests
// that look for them where they must not be.
func (s *Server) AccessTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.access {
		out = append(out, k)
	}
	return out
}

// RefreshTokens lists every refresh token ever issued, valid or not.
func (s *Server) RefreshTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issuedRefresh...)
}

// Counts returns what the server was asked so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Approve signs the user of a device code in: what the operator does in
// a browser. It returns false for an unknown user code.
func (s *Server) Approve(userCode, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.user == "" && strings.EqualFold(userCode, d.userCode()) {
			d.user, d.approved = user, true
			return true
		}
	}
	return false
}

// userCode is what the operator types: short, from the device code.
func (d *device) userCode() string { return strings.ToUpper(d.code[:4] + "-" + d.code[4:8]) }

// Bodies returns the form bodies of every token request so far.
func (s *Server) Bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// oauthError answers with RFC 6749 section 5.2's error response.
func oauthError(w http.ResponseWriter, code int, errCode, desc string) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="oauthtest"`)
	}
	writeJSON(w, code, map[string]string{"error": errCode, "error_description": desc})
}
