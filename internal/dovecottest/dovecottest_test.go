package dovecottest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hospital-league/leaguemail/internal/oauthtest"
	"github.com/hospital-league/leaguemail/oauth"
)

func TestServer(t *testing.T) {
	s := Start(t)
	raw := Mail("harness-1@test", "hello", "body")
	uid := s.Append(t, "report@league.example", "INBOX", raw)
	if uid == 0 {
		t.Fatal("Append: no UID")
	}
	s.Deliver("report@league.example", Mail("harness-2@test", "hello 2", "body"))
	msgs := s.Messages(t, "report@league.example", "INBOX")
	if len(msgs) != 2 || string(msgs[0].Raw) != string(raw) {
		t.Fatalf("Messages = %d messages, first %q", len(msgs), msgs[0].Raw)
	}
	if n := s.Count(t, "report@league.example", "INBOX"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}

	// Implicit TLS with the CA file.
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := imapclient.DialTLS(s.TLSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatalf("DialTLS: %v", err)
	}
	if err := c.Login("abuse@league.example", Password).Wait(); err != nil {
		t.Fatalf("login over TLS: %v", err)
	}
	c.Close()

	if s.LMTPAddr != "" {
		conn, err := net.DialTimeout("tcp", s.LMTPAddr, 5*time.Second)
		if err != nil {
			t.Fatalf("LMTP: %v", err)
		}
		buf := make([]byte, 100)
		n, _ := conn.Read(buf)
		conn.Close()
		if string(buf[:3]) != "220" {
			t.Errorf("LMTP greeting %q", buf[:n])
		}
	}

	s.Restart()
	if n := s.Count(t, "report@league.example", "INBOX"); n != 2 {
		t.Errorf("after restart Count = %d, want 2", n)
	}
	s.SetUIDValidity("report@league.example", "INBOX", 4242)
	sel, err := s.Client(t, "report@league.example").Select("INBOX", nil).Wait()
	if err != nil || sel.UIDValidity != 4242 {
		t.Errorf("after SetUIDValidity: %v, UIDVALIDITY %d", err, sel.UIDValidity)
	}
}

// The oauth2 passdb takes a token that the introspection endpoint says is
// active, for its user only, and refuses it once revoked.
func TestOAuth2Passdb(t *testing.T) {
	as := oauthtest.Start(t, Users[0])
	s := StartWith(t, Options{IntrospectionURL: as.IntrospectionURL()})
	src, err := oauth.New(oauth.Config{Flow: oauth.FlowClientCredentials, TokenURL: as.TokenURL(),
		ClientID: as.ClientID, ClientSecret: as.ClientSecret, Scope: "mail"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	login := func(mech oauth.Mechanism, user, tok string) error {
		c, err := imapclient.DialInsecure(s.Addr, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.Authenticate(oauth.NewClient(mech, user, tok, "127.0.0.1", 0))
	}
	for _, mech := range []oauth.Mechanism{oauth.XOAUTH2, oauth.OAuthBearer} {
		if err := login(mech, Users[0], tok); err != nil {
			t.Errorf("%s with an active token: %v", mech, err)
		}
		if err := login(mech, Users[1], tok); err == nil {
			t.Errorf("%s: another user's token was taken", mech)
		}
	}
	// Password logins still work beside.
	s.Client(t, Users[1])
	as.RevokeAccessTokens()
	for _, mech := range []oauth.Mechanism{oauth.XOAUTH2, oauth.OAuthBearer} {
		if err := login(mech, Users[0], tok); err == nil {
			t.Errorf("%s: a revoked token was taken", mech)
		}
	}
}
