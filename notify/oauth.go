package notify

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/emersion/go-smtp"

	"github.com/hospital-league/leaguemail/oauth"
)

// connectOAuth opens a session that logs in with AUTH XOAUTH2 or
// OAUTHBEARER (RFC 7628, RFC 4954). A token the server refuses is dropped
// and a fresh one tried once, on a new connection: after a failed AUTH
// go-smtp sends "*", which Postfix takes for a forbidden command and hangs
// up on. A second refusal fails the batch, which the outbox's backoff
// retries.
func (s *Sender) connectOAuth(ctx context.Context) (*smtp.Client, error) {
	// The token first: a token endpoint that is down costs no connection.
	token, err := s.cfg.Tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: auth as %s: %w", s.srv.Addr(), s.srv.Username, err)
	}
	c, err := s.session(ctx, token)
	var refused *smtp.SMTPError
	if !errors.As(err, &refused) || refused.Code == 421 || !errors.As(err, new(*authError)) {
		return c, err
	}
	s.cfg.Tokens.Invalidate(token)
	s.log.Info("smtp: the server refused the access token; trying once more with a fresh one", "mechanism", s.cfg.Auth.SASLName(), "err", err)
	fresh, terr := s.cfg.Tokens.Token(ctx)
	if terr != nil {
		return nil, fmt.Errorf("connect to %s: auth as %s: %w", s.srv.Addr(), s.srv.Username, terr)
	}
	if fresh == token {
		return nil, err
	}
	return s.session(ctx, fresh)
}

// authError is a refused AUTH, as opposed to a failure of EHLO or TLS.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

func (s *Sender) authOAuth(c *smtp.Client, token string) error {
	mech := s.cfg.Auth
	if ok, _ := c.Extension("AUTH"); !ok || !c.SupportsAuth(mech.SASLName()) {
		return fmt.Errorf("the server offers no AUTH %s", mech.SASLName())
	}
	port, _ := strconv.Atoi(s.srv.Port)
	sc := oauth.NewClient(mech, s.srv.Username, token, s.srv.Host, port)
	err := c.Auth(sc)
	if err == nil {
		return nil
	}
	why := ""
	if sc.Refusal != "" {
		why = " (" + sc.Refusal + ")"
	}
	// The error is the server's reply; it never holds the token.
	return &authError{fmt.Errorf("%s auth as %s refused%s: %w", mech.SASLName(), s.srv.Username, why, err)}
}
