package oauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Browser runs the authorization code flow of an installed app once
// (RFC 8252, with PKCE, RFC 7636), for providers whose device flow refuses
// the mail scopes (Google's does). It prints the address to open in a
// browser, where the mailbox's user signs in and consents; the provider
// then sends the browser to a loopback port of ours with the code. When
// the browser runs on another machine (a server without one), that
// redirect fails there, and the operator pastes the address it ended on
// into in instead. The code is traded for tokens and the refresh token
// written to cfg.RefreshTokenFile (mode 0600).
func Browser(ctx context.Context, cfg Config, in io.Reader, w io.Writer) error {
	cfg.Flow = FlowRefreshToken
	r, err := cfg.resolve()
	if err != nil {
		return err
	}
	if err := checkEndpoint("auth_url", r.AuthURL); err != nil {
		return err
	}
	// Section 7.3: a loopback redirect on a port of our choosing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("oauth login: listen for the redirect: %w", err)
	}
	defer ln.Close()
	conf := oauth2.Config{
		ClientID: r.ClientID, ClientSecret: r.secret, Scopes: r.scopes,
		RedirectURL: "http://" + ln.Addr().String() + "/",
		Endpoint:    oauth2.Endpoint{AuthURL: r.AuthURL, TokenURL: r.TokenURL, AuthStyle: r.authStyle()},
	}
	s := &Source{cfg: r, log: r.Logger}
	s.remember(r.secret)
	state := randomHex(16)
	verifier := oauth2.GenerateVerifier()
	// access_type=offline and prompt=consent make Google hand out a
	// refresh token every time, not only at the first consent.
	authURL := conf.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("prompt", "consent"))
	fmt.Fprintf(w, "To let leaguemail read and send mail, open this address in a browser and sign in as the mailbox's user:\n\n    %s\n\n", authURL)
	fmt.Fprintf(w, "If the browser runs on another machine, it ends on an address starting with %s that it cannot open:\npaste that whole address here and press Enter. Waiting...\n", conf.RedirectURL)

	answers := make(chan url.Values, 2)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		if q.Get("state") == "" {
			http.NotFound(rw, req)
			return
		}
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		if q.Get("state") != state {
			rw.WriteHeader(http.StatusBadRequest)
			io.WriteString(rw, "<p>This answer is not for the sign-in leaguemail started.</p>")
			return
		}
		if e := q.Get("error"); e != "" {
			io.WriteString(rw, "<p>The sign-in failed: "+html.EscapeString(e)+"</p>")
		} else {
			io.WriteString(rw, "<p>Signed in. You may close this window; leaguemail goes on in the terminal.</p>")
		}
		select {
		case answers <- q:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 0, 4096), 64<<10)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			u, err := url.Parse(line)
			if err != nil || u.Query().Get("state") == "" {
				fmt.Fprintln(w, "That is not the address the browser ended on (it has ?state=...&code=...); paste it whole.")
				continue
			}
			answers <- u.Query()
			return
		}
	}()

	var q url.Values
	for q == nil {
		select {
		case <-ctx.Done():
			return errors.New("oauth login: stopped before the sign-in was done")
		case a := <-answers:
			if a.Get("state") != state {
				// RFC 6749 section 10.12: an answer to another request.
				fmt.Fprintln(w, "That address is from another sign-in; open the address above.")
				continue
			}
			q = a
		}
	}
	// RFC 6749 section 4.1.2.1.
	if e := q.Get("error"); e != "" {
		msg := "the sign-in was refused: " + oneLine(e, 100)
		if d := oneLine(q.Get("error_description"), 300); d != "" {
			msg += ": " + d
		}
		return &Error{Msg: msg}
	}
	code := q.Get("code")
	if code == "" {
		return &Error{Msg: "the provider's answer has no code"}
	}
	s.remember(code)
	hctx := context.WithValue(ctx, oauth2.HTTPClient, r.HTTPClient)
	tok, err := conf.Exchange(hctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return &Error{Msg: s.scrub(endpointError("code exchange at "+r.TokenURL, err).Error())}
	}
	s.remember(tok.AccessToken)
	if tok.RefreshToken == "" {
		return &Error{Msg: "the provider signed the user in but gave no refresh token"}
	}
	if err := writeRefreshToken(r.RefreshTokenFile, tok.RefreshToken); err != nil {
		return &Error{Msg: s.scrub(err.Error())}
	}
	fmt.Fprintf(w, "Signed in. The refresh token is in %s (mode 0600); leaguemail serve uses it from now on.\n", r.RefreshTokenFile)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
