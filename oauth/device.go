package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"

	"golang.org/x/oauth2"
)

// Device runs the device authorization flow (RFC 8628) once: it asks the
// device endpoint for a user code, tells the operator on w where to enter
// it, polls the token endpoint until they have signed in and consented,
// and writes the refresh token to cfg.RefreshTokenFile (mode 0600). The
// operator never sees or copies a token.
func Device(ctx context.Context, cfg Config, w io.Writer) error {
	cfg.Flow = FlowRefreshToken
	r, err := cfg.resolve()
	if err != nil {
		return err
	}
	if err := checkEndpoint("device_url", r.DeviceURL); err != nil {
		return err
	}
	conf := oauth2.Config{
		ClientID: r.ClientID, ClientSecret: r.secret, Scopes: r.scopes,
		Endpoint: oauth2.Endpoint{TokenURL: r.TokenURL, DeviceAuthURL: r.DeviceURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	s := &Source{cfg: r, log: r.Logger}
	s.remember(r.secret)
	ctx = context.WithValue(ctx, oauth2.HTTPClient, r.HTTPClient)
	// Section 3.1: the device authorization request.
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return &Error{Msg: s.scrub(endpointError("device authorization at "+r.DeviceURL, err).Error())}
	}
	// Section 3.3: the user is told where to go and which code to enter.
	fmt.Fprintf(w, "To let leaguemail read and send mail, open\n\n    %s\n\nin a browser, sign in as the mailbox's user, and enter the code\n\n    %s\n\n", da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(w, "(or open %s, which carries the code)\n\n", da.VerificationURIComplete)
	}
	if !da.Expiry.IsZero() {
		fmt.Fprintf(w, "The code expires at %s. Waiting...\n", da.Expiry.Local().Format("15:04:05"))
	}
	// Sections 3.4 and 3.5: poll at the interval the server asks, slower
	// on slow_down, until it answers with a token or a final error.
	tok, err := conf.DeviceAccessToken(ctx, da)
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("oauth login: stopped before the sign-in was done")
		}
		return &Error{Msg: s.scrub(endpointError("device token at "+r.TokenURL, err).Error())}
	}
	s.remember(tok.AccessToken)
	if tok.RefreshToken == "" {
		hint := ""
		if r.Provider == Microsoft {
			hint = " (Microsoft hands one out only with the offline_access scope)"
		}
		return &Error{Msg: "the endpoint signed the user in but gave no refresh token" + hint}
	}
	if err := writeRefreshToken(r.RefreshTokenFile, tok.RefreshToken); err != nil {
		return &Error{Msg: s.scrub(err.Error())}
	}
	fmt.Fprintf(w, "Signed in. The refresh token is in %s (mode 0600); leaguemail serve uses it from now on.\n", r.RefreshTokenFile)
	return nil
}
