package oauth

import (
	"strings"
	"testing"
	"time"
)

// FuzzCommandOutput feeds a token command's output, which the gateway does
// not control, to the parser: it never panics, and a token it returns is
// one line with no space or SASL separator in it (it goes into XOAUTH2's
// and OAUTHBEARER's \x01-separated messages).
func FuzzCommandOutput(f *testing.F) {
	for _, s := range []string{"tok-123\n", `{"access_token":"a","expires_in":3600}`, "{", "two words", "", "\x01", `{"access_token":"a b"}`, `{"expires_in":-1}`} {
		f.Add(s)
	}
	now := time.Unix(1_800_000_000, 0)
	f.Fuzz(func(t *testing.T, out string) {
		tok, err := parseCommandOutput(out, now)
		if err != nil {
			return
		}
		if tok.AccessToken == "" || strings.ContainsAny(tok.AccessToken, " \t\r\n\x01") {
			t.Fatalf("token %q from %q", tok.AccessToken, out)
		}
		if !tok.Expiry.IsZero() && (tok.Expiry.Before(now) || tok.Expiry.After(now.Add(367*24*time.Hour))) {
			t.Fatalf("expiry %v from %q", tok.Expiry, out)
		}
	})
}

// FuzzChallenge feeds a server's SASL challenge to both clients: they
// answer it as their mechanism says, never with an error that would leave
// the exchange hanging, and never echo the token.
func FuzzChallenge(f *testing.F) {
	f.Add([]byte(`{"status":"invalid_token","schemes":"bearer","scope":"mail"}`))
	f.Add([]byte("not json"))
	f.Add([]byte(`{"status":"` + strings.Repeat("x", 500) + `"}`))
	f.Fuzz(func(t *testing.T, challenge []byte) {
		for _, m := range []Mechanism{XOAUTH2, OAuthBearer} {
			c := NewClient(m, "user@league.example", "secret-token", "imap.example", 993)
			resp, err := c.Next(challenge)
			if err != nil || resp == nil || len(resp) > 1 {
				t.Fatalf("%s: Next(%q) = %q, %v", m, challenge, resp, err)
			}
			if c.Refusal == "" || len(c.Refusal) > 110 || strings.Contains(c.Refusal, "secret-token") {
				t.Fatalf("%s: Refusal %q", m, c.Refusal)
			}
		}
	})
}
