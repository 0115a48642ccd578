package mailin

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/oauth"
)

// tokenURL is the [imap] url of a token login: the user name alone.
func tokenURL(s *dovecottest.Server, user string) string {
	return "imap://" + strings.ReplaceAll(user, "@", "%40") + "@" + s.Addr + "/INBOX?tls=none"
}

// The intake logs in to Dovecot's oauth2 passdb with each mechanism, and
// when its token stops working mid-session (revoked at the authorization
// server, the session dropped by the server) it logs in again with a
// fresh one, without losing or doubling mail.
func TestDovecotOAuthLogin(t *testing.T) {
	for _, mech := range []oauth.Mechanism{oauth.XOAUTH2, oauth.OAuthBearer} {
		t.Run(string(mech), func(t *testing.T) {
			as := oauthtest.Start(t, report)
			s := dovecottest.StartWith(t, dovecottest.Options{IntrospectionURL: as.IntrospectionURL()})
			rec := newLogRecorder(t)
			src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: as.TokenURL(),
				ClientID: as.ClientID, ClientSecret: as.ClientSecret, Scope: "mail", Logger: slog.New(rec)})
			if err != nil {
				t.Fatal(err)
			}
			cfg := fastConfig(tokenURL(s, report), slog.New(rec))
			cfg.Auth, cfg.Tokens = mech, src
			sink := newMemSink()
			in := mustNew(t, cfg, sink)
			prefix := string(mech)
			s.Deliver(report, rawMail(prefix, 0))
			running(t, in)
			waitFor(t, 20*time.Second, "the first mail", func() bool { return sink.count() == 1 })

			// The token dies early while the session idles; the server
			// drops the session.
			as.RevokeAccessTokens()
			if err := s.Doveadm("kick", report); err != nil {
				t.Fatal(err)
			}
			s.Deliver(report, rawMail(prefix, 1))
			waitFor(t, 20*time.Second, "the mail after the token died", func() bool { return sink.count() == 2 })
			recs, _ := sink.snapshot()
			checkOnce(t, recs, []string{msgID(prefix, 0), msgID(prefix, 1)})
			c := as.Counts()
			if c.ClientCredentials != 2 || c.Inactive == 0 {
				t.Errorf("token requests %d, refused introspections %d: want a fresh token after one refusal", c.ClientCredentials, c.Inactive)
			}
			if rec.count("refused the access token") == 0 {
				t.Error("the refusal and the fresh token are not in the log")
			}
			waitFor(t, 10*time.Second, "a clean status after the new login", func() bool {
				st := in.Status()
				return st.Connected && st.LastError == ""
			})
		})
	}
}

// A token endpoint that refuses the client stops the login before any
// connection, says why in the status, and never shows the secret.
func TestOAuthEndpointDown(t *testing.T) {
	as := oauthtest.Start(t, report)
	s := dovecottest.StartWith(t, dovecottest.Options{IntrospectionURL: as.IntrospectionURL()})
	as.SetFail("invalid_client")
	src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: as.TokenURL(),
		ClientID: as.ClientID, ClientSecret: as.ClientSecret, Scope: "mail", Logger: slog.New(newLogRecorder(t))})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig(tokenURL(s, report), slog.New(newLogRecorder(t)))
	cfg.Auth, cfg.Tokens = oauth.XOAUTH2, src
	in := mustNew(t, cfg, newMemSink())
	running(t, in)
	waitFor(t, 10*time.Second, "an error in the status", func() bool { return in.Status().LastError != "" })
	st := in.Status()
	if !strings.Contains(st.LastError, "invalid_client") || strings.Contains(st.LastError, as.ClientSecret) {
		t.Errorf("status error %q: want the endpoint's error, never the secret", st.LastError)
	}
	as.SetFail("")
	waitFor(t, 10*time.Second, "the login once the endpoint works", func() bool { return in.Status().Connected })
}

func TestOAuthURL(t *testing.T) {
	src, _ := oauth.New(oauth.Config{Flow: oauth.FlowCommand, Command: "echo tok"})
	for _, tc := range []struct {
		url     string
		auth    oauth.Mechanism
		tokens  oauth.TokenSource
		wantErr string
	}{
		{"imap://report%40league.example@127.0.0.1:1/INBOX?tls=none", oauth.XOAUTH2, src, ""},
		{"imap://report%40league.example:pw@127.0.0.1:1/INBOX?tls=none", oauth.XOAUTH2, src, "leave it out of the url"},
		{"imap://report%40league.example@127.0.0.1:1/INBOX?tls=none", oauth.Password, nil, "no password"},
		{"imap://report%40league.example@127.0.0.1:1/INBOX?tls=none", oauth.OAuthBearer, nil, "needs a token source"},
		{"imap://report%40league.example@127.0.0.1:1/INBOX?tls=none&auth=plain", oauth.XOAUTH2, src, "drop the parameter"},
	} {
		_, err := New(Config{URL: tc.url, Auth: tc.auth, Tokens: tc.tokens}, newMemSink())
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s %s: error %v, want %q", tc.url, tc.auth, err, tc.wantErr)
		}
	}
}

// BenchmarkDovecotLogin measures one connect, login, EXAMINE and LOGOUT
// (Intake.Check) with a password and with each token mechanism, the token
// cached and checked by Dovecot at the introspection endpoint each time.
func BenchmarkDovecotLogin(b *testing.B) {
	as := oauthtest.Start(b, report)
	s := dovecottest.StartWith(b, dovecottest.Options{IntrospectionURL: as.IntrospectionURL()})
	src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: as.TokenURL(),
		ClientID: as.ClientID, ClientSecret: as.ClientSecret, Scope: "mail", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		url  string
		auth oauth.Mechanism
	}{
		{"password", s.URL(report), oauth.Password},
		{"xoauth2", tokenURL(s, report), oauth.XOAUTH2},
		{"oauthbearer", tokenURL(s, report), oauth.OAuthBearer},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := fastConfig(tc.url, slog.New(slog.DiscardHandler))
			cfg.Auth = tc.auth
			if tc.auth.OAuth() {
				cfg.Tokens = src
			}
			in := mustNew(b, cfg, newMemSink())
			for b.Loop() {
				if _, err := in.Check(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
