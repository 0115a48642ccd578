// Package t15_oauth proves that the gateway runs on a mailbox that takes
// no password (issue 18): `leaguemail serve` reads the contact mailbox with
// AUTHENTICATE XOAUTH2 and sends with SMTP AUTH OAUTHBEARER (then, after a
// restart, the other way round), against Dovecot's oauth2 passdb and
// Postfix with Dovecot SASL, both checking every token at the loopback
// authorization server. A token that expires while the session idles is
// replaced before the next login; a token that dies early (revoked: the
// server drops the IMAP session, or Postfix refuses the next AUTH) is
// refused once and replaced by a fresh one without a person; the refresh
// token the server rotates at every refresh is written back, so that a
// restart goes on with it; and no token or secret shows in the log.
package t15_oauth

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const reporter = "soc@hospital-a.example"

func report(n int) []byte {
	return e2etest.Compose{
		From:      "Hospital A SOC <" + reporter + ">",
		To:        e2etest.Address,
		Subject:   fmt.Sprintf("Phishing wave %d", n),
		MessageID: fmt.Sprintf("<report-%d.t15@hospital-a.example>", n),
		Body:      fmt.Sprintf("Our staff got mails linking to http://wave%d.payroll-update.com/verify\n", n),
	}.Bytes()
}

func TestOAuthServe(t *testing.T) {
	e := e2etest.StartWith(t, e2etest.Options{OAuth: true}, reporter)
	as := e.OAuth
	as.SetRotate(true)
	as.SetLifetime(6 * time.Second)
	rtFile := e.Data.RefreshTokenFile
	refreshToken := func() string {
		b, err := os.ReadFile(rtFile)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	first := refreshToken()
	ack := func(n int) {
		t.Helper()
		e.Send(reporter, []string{e2etest.Address}, report(n))
		e.WaitMail(reporter, "INBOX", fmt.Sprintf("the acknowledgement of report %d", n), 30*time.Second,
			e2etest.SubjectHas(fmt.Sprintf("[League #%d]", n)))
	}

	// check-config fetches a token and logs in with it, both ways.
	out := e.Run("check-config")
	for _, want := range []string{"oauth: ok (refresh_token token", "imap imap://report%40league.example@", "smtp: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not say %q:\n%s", want, out)
		}
	}
	if as.RefreshTokenValid(first) {
		t.Error("the server rotated the refresh token, but the first one still works")
	}

	gw := e.Serve()
	ack(1)
	if !strings.Contains(e.Dovecot.Log(), "method=XOAUTH2") || !strings.Contains(e.Postfix.Log(), "sasl_method=OAUTHBEARER") {
		t.Errorf("not logged in with XOAUTH2 over IMAP and OAUTHBEARER over SMTP")
	}

	// The token in hand expires while the session idles (tokens live 6s
	// here), and Dovecot drops the session: the gateway knows the token's
	// expiry and fetches a fresh one before it logs in again, without
	// being refused first.
	refreshes := as.Counts().Refreshes
	time.Sleep(7 * time.Second)
	if err := e.Dovecot.Doveadm("kick", e2etest.Address); err != nil {
		t.Fatal(err)
	}
	ack(2)
	if got := len(gw.LogLines("the server refused the access token")); got != 0 {
		t.Errorf("%d logins refused: an expired token was used", got)
	}
	if as.Counts().Refreshes == refreshes {
		t.Error("no token fetched after the last one expired")
	}

	// The token dies early while the IMAP session idles (revoked at the
	// authorization server); Dovecot drops the session. The gateway's
	// next login is refused, and it fetches a fresh token at once.
	as.SetLifetime(time.Hour)
	as.RevokeAccessTokens()
	if err := e.Dovecot.Doveadm("kick", e2etest.Address); err != nil {
		t.Fatal(err)
	}
	ack(3)
	if len(gw.LogLines("imap: the server refused the access token")) == 0 {
		t.Error("no IMAP login was refused and retried: the scenario did not test what it says")
	}

	// The token dies again, the IMAP session stays: the next SMTP AUTH is
	// refused, and the sender logs in with a fresh token.
	as.RevokeAccessTokens()
	ack(4)
	if len(gw.LogLines("smtp: the server refused the access token")) == 0 {
		t.Error("no SMTP login was refused and retried")
	}
	e2etest.WaitFor(t, 20*time.Second, "/healthz 200", func() bool {
		code, _, _ := gw.Healthz()
		return code == 200
	})

	// Every refresh rotated the refresh token; the file holds the last
	// one, mode 0600, and it is the only one the server still takes.
	rts := as.RefreshTokens()
	cur := refreshToken()
	if len(rts) < 3 || cur != rts[len(rts)-1] || !as.RefreshTokenValid(cur) {
		t.Fatalf("refresh token file holds %q; the server issued %d, the last %q", cur, len(rts), rts[len(rts)-1])
	}
	if fi, _ := os.Stat(rtFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("refresh token file mode %v, want 0600", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(rtFile), ".oauth-refresh-token.tmp*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A restart reads the rotated token from the file; the mechanisms
	// swap places.
	if code, _ := gw.Stop(20 * time.Second); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	e.Data.IMAPAuth, e.Data.SMTPAuth = "oauthbearer", "xoauth2"
	e.WriteConfig(filepath.Join("testdata", "leaguemail.toml.tmpl"))
	gw2 := e.Serve()
	ack(5)
	if !strings.Contains(e.Dovecot.Log(), "method=OAUTHBEARER") || !strings.Contains(e.Postfix.Log(), "sasl_method=XOAUTH2") {
		t.Errorf("not logged in with OAUTHBEARER over IMAP and XOAUTH2 over SMTP after the restart")
	}
	if got := len(e.Tickets()); got != 5 {
		t.Errorf("%d tickets, want 5", got)
	}
	gw2.Stop(20 * time.Second)

	// No token, refresh token or secret in what the gateway said.
	log := gw.Log() + gw2.Log()
	secrets := append(append([]string{as.ClientSecret, first}, as.RefreshTokens()...), as.AccessTokens()...)
	for _, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the log shows a secret %q", s)
		}
	}
	t.Logf("token requests: %+v", as.Counts())
}
