package notify

import (
	"context"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/internal/postfixtest"
	"github.com/hospital-league/leaguemail/oauth"
	"github.com/hospital-league/leaguemail/store"
)

// The sender submits to Postfix with SMTP AUTH XOAUTH2 and OAUTHBEARER,
// checked by Dovecot's oauth2 passdb through Dovecot SASL; a token revoked
// between two batches is refused, dropped, and a fresh one logs in.
func TestOAuthThroughPostfix(t *testing.T) {
	as := oauthtest.Start(t, "report@league.example")
	dc := dovecottest.StartWith(t, dovecottest.Options{IntrospectionURL: as.IntrospectionURL()})
	pf := postfixtest.StartWith(t, postfixtest.Options{SASLAddr: dc.AuthAddr}, dc.LMTPAddr, dovecottest.Users...)
	ms := &mailServers{dc: dc, pf: pf}
	for _, mech := range []oauth.Mechanism{oauth.XOAUTH2, oauth.OAuthBearer} {
		t.Run(string(mech), func(t *testing.T) {
			src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: as.TokenURL(),
				ClientID: as.ClientID, ClientSecret: as.ClientSecret, Scope: "mail", Logger: quiet()})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			s := e.sender("smtp://report%40league.example@"+pf.Addr, func(c *Config) {
				c.CAFile, c.Auth, c.Tokens = pf.CAFile, mech, src
			})
			if err := s.Check(e.ctx); err != nil {
				t.Fatalf("Check: %v", err)
			}
			before := len(ms.inbox(t, "soc@hospital-a.example"))
			e.report("soc@hospital-a.example", "Phishing "+string(mech), phish)
			if n := sendAll(t, e, s); n != 2 {
				t.Fatalf("sent %d, want the ack and the triager notice", n)
			}
			as.RevokeAccessTokens()
			e.report("soc@hospital-a.example", "Phishing again "+string(mech), phish)
			if n := sendAll(t, e, s); n < 1 {
				t.Fatalf("after the token was revoked: sent %d", n)
			}
			if got := len(ms.inbox(t, "soc@hospital-a.example")) - before; got != 2 {
				t.Errorf("the reporter got %d acks, want 2", got)
			}
			if rcvd := ms.dc.Messages(t, "soc@hospital-a.example", "INBOX"); !strings.Contains(string(rcvd[len(rcvd)-1].Raw), "Authenticated sender: report@league.example") &&
				!strings.Contains(pf.Log(), "sasl_method="+mech.SASLName()) {
				t.Errorf("Postfix did not log an %s login", mech.SASLName())
			}
			if n := len(e.outbox(store.OutboxQueued)); n != 0 {
				t.Errorf("%d mails still queued", n)
			}
		})
	}
	// A token nobody can refresh: the batch is put off, the error names the
	// refusal and holds no token.
	t.Run("Refused", func(t *testing.T) {
		e := newEnv(t)
		s := e.sender("smtp://report%40league.example@"+pf.Addr, func(c *Config) {
			c.CAFile, c.Auth, c.Tokens = pf.CAFile, oauth.XOAUTH2, staticToken("at-not-issued-by-anyone")
		})
		err := s.Check(e.ctx)
		if err == nil || !strings.Contains(err.Error(), "refused") || strings.Contains(err.Error(), "at-not-issued") {
			t.Fatalf("Check with a bad token: %v", err)
		}
	})
}

// staticToken is a token source that has one token only.
type staticToken string

func (s staticToken) Token(context.Context) (string, error) { return string(s), nil }
func (s staticToken) Invalidate(string)                     {}
