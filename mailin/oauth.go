package mailin

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hospital-league/leaguemail/oauth"
)

// loginOAuth logs in with AUTHENTICATE XOAUTH2 or OAUTHBEARER (RFC 7628).
// A token the server refuses (it expired early, was revoked) is dropped
// and a fresh one tried once on the same connection; a second refusal is
// the session's error, and Run's backoff follows.
func (in *Intake) loginOAuth(ctx context.Context, c *imapclient.Client, token string) error {
	mech := in.cfg.Auth
	if !c.Caps().Has(imap.AuthCap(mech.SASLName())) {
		return fmt.Errorf("imap: login as %q: the server does not offer AUTH=%s", in.acct.Username, mech.SASLName())
	}
	err := in.authenticate(c, token)
	var refused *imap.Error
	if !errors.As(err, &refused) {
		return err
	}
	in.cfg.Tokens.Invalidate(token)
	in.log.Info("imap: the server refused the access token; trying once more with a fresh one", "mechanism", mech.SASLName(), "err", err)
	fresh, terr := in.cfg.Tokens.Token(ctx)
	if terr != nil {
		return fmt.Errorf("imap: login as %q: %w", in.acct.Username, terr)
	}
	if fresh == token {
		return err
	}
	return in.authenticate(c, fresh)
}

func (in *Intake) authenticate(c *imapclient.Client, token string) error {
	port, _ := strconv.Atoi(in.acct.Port)
	sc := oauth.NewClient(in.cfg.Auth, in.acct.Username, token, in.acct.Host, port)
	err := c.Authenticate(sc)
	if err == nil {
		return nil
	}
	// The server's NO is its own text; the refusal of the JSON challenge
	// (RFC 7628 section 3.2.2) says why. Neither holds the token.
	why := ""
	if sc.Refusal != "" {
		why = " (" + sc.Refusal + ")"
	}
	return fmt.Errorf("imap: %s login as %q refused%s: %w", in.cfg.Auth.SASLName(), in.acct.Username, why, err)
}
