package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// authStyle is how the client authenticates to the endpoint (RFC 6749
// section 2.3.1). Microsoft and Google take the credentials in the form;
// for others x/oauth2 tries HTTP Basic first, then the form, and keeps
// what worked.
func (c *resolved) authStyle() oauth2.AuthStyle {
	if c.Provider != "" {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleAutoDetect
}

// httpContext makes x/oauth2 use our client, and bounds the request.
func (s *Source) httpContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.cfg.HTTPClient)
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

// clientCredentials asks for a token as the application itself (RFC 6749
// section 4.4): Microsoft 365's app-only access to mailboxes.
func (s *Source) clientCredentials(ctx context.Context) (*oauth2.Token, error) {
	cc := clientcredentials.Config{
		ClientID: s.cfg.ClientID, ClientSecret: s.cfg.secret, TokenURL: s.cfg.TokenURL,
		Scopes: s.cfg.scopes, AuthStyle: s.cfg.authStyle(),
	}
	ctx, cancel := s.httpContext(ctx)
	defer cancel()
	tok, err := cc.Token(ctx)
	if err != nil {
		return nil, endpointError("client_credentials token from "+s.cfg.TokenURL, err)
	}
	return tok, nil
}

// refresher trades the refresh token for access tokens (RFC 6749 section
// 6), and keeps the file in step when the endpoint rotates it.
type refresher struct {
	s        *Source
	token    string // the refresh token in use
	fromFile string // what the file held when last read or written
}

func (r *refresher) fetch(ctx context.Context) (*oauth2.Token, error) {
	cfg := r.s.cfg
	// An operator who ran `oauth login` again while we run replaced the
	// file: its token is the one to use now.
	if cur, err := readRefreshToken(cfg.RefreshTokenFile); err == nil && cur != r.fromFile {
		r.s.remember(cur)
		r.token, r.fromFile = cur, cur
		r.s.log.Info("oauth: refresh token file changed; using its token", "file", cfg.RefreshTokenFile)
	}
	conf := oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.secret, Scopes: cfg.scopes,
		Endpoint: oauth2.Endpoint{TokenURL: cfg.TokenURL, AuthStyle: cfg.authStyle()},
	}
	hctx, cancel := r.s.httpContext(ctx)
	defer cancel()
	// A token with no access token makes x/oauth2 refresh at once.
	tok, err := conf.TokenSource(hctx, &oauth2.Token{RefreshToken: r.token}).Token()
	if err != nil {
		err = endpointError("refresh at "+cfg.TokenURL, err)
		if strings.Contains(err.Error(), "invalid_grant") {
			err = fmt.Errorf("%w (if the grant was revoked or has expired, run leaguemail oauth login again)", err)
		}
		return nil, err
	}
	if tok.RefreshToken != "" && tok.RefreshToken != r.token {
		// RFC 6749 section 6: the old refresh token may be revoked now.
		// Write the new one first: a crash after this loses nothing.
		r.s.remember(tok.RefreshToken)
		r.token = tok.RefreshToken
		if err := writeRefreshToken(cfg.RefreshTokenFile, tok.RefreshToken); err != nil {
			// Kept in memory, so that serving goes on; the next restart
			// would read a revoked token, hence the error level.
			r.s.log.Error("oauth: the endpoint rotated the refresh token and it could not be saved; fix the file's folder or run leaguemail oauth login after a restart",
				"file", cfg.RefreshTokenFile, "err", err)
		} else {
			r.fromFile = tok.RefreshToken
			r.s.log.Info("oauth: refresh token rotated and saved", "file", cfg.RefreshTokenFile)
		}
	}
	return tok, nil
}

// maxCommandOutput bounds what a token command may print.
const maxCommandOutput = 64 << 10

// command runs the configured program, as msmtp's passwordeval does, and
// reads its output: a bare token, or a JSON token response with
// access_token and expires_in.
func (s *Source) command(ctx context.Context) (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.cfg.Command)
	var stdout, stderr capped
	stdout.max, stderr.max = maxCommandOutput, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		msg := fmt.Sprintf("token command: %v", err)
		if ctx.Err() != nil {
			msg = fmt.Sprintf("token command: no token within %v", s.cfg.Timeout)
		}
		if e := lastLine(stderr.String()); e != "" {
			msg += ": " + e
		}
		return nil, errors.New(msg)
	}
	if stdout.over {
		return nil, fmt.Errorf("token command: printed more than %d bytes", maxCommandOutput)
	}
	return parseCommandOutput(stdout.String(), s.cfg.Now())
}

// parseCommandOutput reads what a token command printed: a JSON token
// response (RFC 6749 section 5.1) with access_token and expires_in, or a
// bare token on the first line.
func parseCommandOutput(out string, now time.Time) (*oauth2.Token, error) {
	out = strings.TrimSpace(out)
	if strings.HasPrefix(out, "{") {
		var r struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			return nil, errors.New("token command: its output starts with { but is not a JSON token response")
		}
		if !isB64Token(r.AccessToken) {
			return nil, errors.New("token command: its JSON has no access_token of the characters a bearer token may hold")
		}
		tok := &oauth2.Token{AccessToken: r.AccessToken}
		// A lifetime past a year is a mistake, not a token to keep.
		if r.ExpiresIn > 0 && r.ExpiresIn < 366*24*3600 {
			tok.Expiry = now.Add(time.Duration(r.ExpiresIn) * time.Second)
		}
		return tok, nil
	}
	tok, _, _ := strings.Cut(out, "\n")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, errors.New("token command: printed no token")
	}
	if !isB64Token(tok) {
		return nil, errors.New("token command: the first line of its output is not a bearer token (RFC 6750 allows letters, digits and -._~+/ then =)")
	}
	return &oauth2.Token{AccessToken: tok}, nil
}

// isB64Token says whether s is RFC 6750 section 2.1's b64token: what a
// bearer token may hold, and nothing that could break a SASL message.
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for _, c := range body {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.ContainsRune("-._~+/", c):
		default:
			return false
		}
	}
	return true
}

// capped is a buffer that keeps the first max bytes.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return oneLine(lines[len(lines)-1], 200)
}
