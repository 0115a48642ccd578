package oauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// TokenSource is what the IMAP intake and the SMTP sender log in with.
type TokenSource interface {
	// Token returns an access token that is not about to expire.
	Token(ctx context.Context) (string, error)
	// Invalidate drops token, which a server refused, so that the next
	// Token fetches a fresh one.
	Invalidate(token string)
}

// Status is what /healthz says of a Source: never a token or a secret.
type Status struct {
	Flow        string    `json:"flow"`
	TokenURL    string    `json:"token_url,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	ErrorSince  time.Time `json:"error_since,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Expiry      time.Time `json:"expiry,omitzero"`
	Fetches     int       `json:"fetches"`
}

// Source hands out access tokens of one [oauth] configuration, shared by
// every mailbox and the sender: one fetch at a time, so that a rotated
// refresh token is never used twice.
type Source struct {
	cfg   *resolved
	fetch func(ctx context.Context) (*oauth2.Token, error)
	log   *slog.Logger

	mu      sync.Mutex // held across a fetch
	tok     *oauth2.Token
	got     time.Time // when tok was fetched
	secrets []string  // what scrub removes from every text that leaves
	status  Status
}

// maxEarly is the most a token is renewed ahead of its expiry; a token
// that lives less than 4*maxEarly is renewed a quarter of its life early.
const maxEarly = 5 * time.Minute

// unknownLife is how long a token whose lifetime nobody said is used
// before it is fetched again (the command flow's bare tokens).
const unknownLife = 5 * time.Minute

// New checks cfg and makes its Source. Nothing is fetched until Token.
func New(cfg Config) (*Source, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: r, log: r.Logger, status: Status{Flow: r.Flow, TokenURL: r.TokenURL}}
	s.remember(r.secret)
	switch r.Flow {
	case FlowClientCredentials:
		s.fetch = s.clientCredentials
	case FlowRefreshToken:
		rt, err := readRefreshToken(r.RefreshTokenFile)
		if err != nil {
			return nil, &ConfigError{Key: "refresh_token_file", Msg: err.Error()}
		}
		s.remember(rt)
		s.fetch = (&refresher{s: s, token: rt, fromFile: rt}).fetch
	case FlowCommand:
		s.fetch = s.command
	}
	return s, nil
}

// Token returns the access token in hand while it is good for a while
// yet, else fetches one.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	if s.tok != nil && now.Before(s.renewAt()) {
		return s.tok.AccessToken, nil
	}
	tok, err := s.fetch(ctx)
	switch {
	case err != nil:
	case tok == nil || tok.AccessToken == "":
		err = errors.New("the token endpoint answered without an access_token")
	case !isB64Token(tok.AccessToken):
		// It goes into a SASL message whose fields \x01 separates.
		err = errors.New("the token endpoint's access_token holds characters no bearer token has (RFC 6750 section 2.1)")
	}
	s.status.Fetches++
	if err != nil {
		e := &Error{Msg: s.scrub(err.Error())}
		if s.status.LastError == "" {
			s.status.ErrorSince = now
			s.log.Warn("oauth: cannot get an access token", "flow", s.cfg.Flow, "err", e.Msg)
		}
		s.status.LastError = e.Msg
		if s.tok != nil && !s.tok.Expiry.IsZero() && now.Before(s.tok.Expiry) {
			// Renewal is early so that an endpoint down for a while costs
			// nothing: the token in hand still works until it expires.
			return s.tok.AccessToken, nil
		}
		return "", e
	}
	s.remember(tok.AccessToken)
	if s.status.LastError != "" {
		s.log.Info("oauth: access token fetched again", "flow", s.cfg.Flow, "failing_for", now.Sub(s.status.ErrorSince).Round(time.Millisecond))
	}
	s.tok, s.got = tok, now
	s.status.LastError, s.status.ErrorSince = "", time.Time{}
	s.status.LastSuccess, s.status.Expiry = now, tok.Expiry
	s.log.Debug("oauth: access token fetched", "flow", s.cfg.Flow, "expiry", tok.Expiry)
	return tok.AccessToken, nil
}

// renewAt is when the token in hand is to be replaced.
func (s *Source) renewAt() time.Time {
	if s.tok.Expiry.IsZero() {
		return s.got.Add(unknownLife)
	}
	early := min(maxEarly, s.tok.Expiry.Sub(s.got)/4)
	return s.tok.Expiry.Add(-early)
}

// Invalidate drops token if it is the one in hand.
func (s *Source) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken == token {
		s.log.Info("oauth: the server refused the access token; fetching a fresh one", "flow", s.cfg.Flow)
		s.tok = nil
	}
}

// Status reports how the last fetches went.
func (s *Source) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Scrub removes from text every secret and token the source has known:
// for callers that build messages from a server's reply to a login.
func (s *Source) Scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrub(text)
}

// remember adds a secret to those scrub removes. Old access tokens stay:
// an error about one may come after it was replaced. The list is bounded.
func (s *Source) remember(secret string) {
	if len(secret) < 4 {
		return
	}
	for _, k := range s.secrets {
		if k == secret {
			return
		}
	}
	s.secrets = append(s.secrets, secret)
	if len(s.secrets) > 64 {
		s.secrets = append(s.secrets[:0:0], s.secrets[len(s.secrets)-64:]...)
	}
}

func (s *Source) scrub(text string) string {
	for _, k := range s.secrets {
		text = strings.ReplaceAll(text, k, "[redacted]")
	}
	return text
}

// Error is a failure to get a token, in words that hold no secret.
type Error struct{ Msg string }

func (e *Error) Error() string { return "oauth: " + e.Msg }

// endpointError says what went wrong with a request to the token endpoint
// from what the endpoint said: the RFC 6749 section 5.2 error code and
// description, never the body (which may echo what was sent).
func endpointError(what string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		if re.ErrorCode == "" {
			return fmt.Errorf("%s: the endpoint answered %s without an RFC 6749 error", what, status)
		}
		msg := fmt.Sprintf("%s: the endpoint refused: %s", what, re.ErrorCode)
		if d := oneLine(re.ErrorDescription, 300); d != "" {
			msg += ": " + d
		}
		return errors.New(msg)
	}
	if strings.Contains(err.Error(), "oauth2: cannot parse json") {
		// x/oauth2 says which character it choked on; what matters is that
		// this is no token endpoint (a proxy's or a captive portal's page).
		return fmt.Errorf("%s: the answer is not RFC 6749 JSON (is token_url right?)", what)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: no answer in time: %v", what, ne)
	}
	return fmt.Errorf("%s: %v", what, err)
}

// oneLine cuts s to one line of at most n bytes, for texts from outside.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "..."
	}
	return s
}
