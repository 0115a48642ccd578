package oauth_test

import (
	"testing"

	"github.com/hospital-league/leaguemail/oauth"
)

func TestSASLClients(t *testing.T) {
	for _, tc := range []struct {
		mech      oauth.Mechanism
		name, ir  string
		errAnswer string
	}{
		{oauth.XOAUTH2, "XOAUTH2", "user=report@league.example\x01auth=Bearer tok\x01\x01", ""},
		{oauth.OAuthBearer, "OAUTHBEARER", "n,a=report@league.example,\x01host=imap.league.example\x01port=993\x01auth=Bearer tok\x01\x01", "\x01"},
	} {
		c := oauth.NewClient(tc.mech, "report@league.example", "tok", "imap.league.example", 993)
		name, ir, err := c.Start()
		if err != nil || name != tc.name || string(ir) != tc.ir {
			t.Errorf("%s: Start = %q %q %v", tc.mech, name, ir, err)
		}
		// The server's error challenge is answered, never left hanging.
		resp, err := c.Next([]byte(`{"status":"invalid_token","schemes":"bearer"}`))
		if err != nil || resp == nil || string(resp) != tc.errAnswer {
			t.Errorf("%s: Next = %q %v", tc.mech, resp, err)
		}
		if c.Refusal != "invalid_token" {
			t.Errorf("%s: Refusal %q", tc.mech, c.Refusal)
		}
	}
	for in, want := range map[string]oauth.Mechanism{"": oauth.Password, "password": oauth.Password, "XOAUTH2": oauth.XOAUTH2, "oauthbearer": oauth.OAuthBearer} {
		if got, err := oauth.ParseMechanism(in); err != nil || got != want {
			t.Errorf("ParseMechanism(%q) = %v %v", in, got, err)
		}
	}
	if _, err := oauth.ParseMechanism("plain"); err == nil {
		t.Error("ParseMechanism(plain): no error")
	}
}
