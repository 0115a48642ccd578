package config

import (
	"strings"
	"testing"
)

func TestPublicURL(t *testing.T) {
	for _, tt := range []struct{ toml, err, base string }{
		{"[http]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"https://alerts.league.example/\"\n", "", "https://alerts.league.example/unsubscribe/"},
		{"[http]\nlisten = \"127.0.0.1:8080\"\n", "", ""},
		{"[http]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"http://alerts.league.example\"\n", "[http] public_url", ""},
		{"[http]\nlisten = \"127.0.0.1:8080\"\npublic_url = \"https://a.example/?x=1\"\n", "[http] public_url", ""},
		{"[http]\npublic_url = \"https://alerts.league.example\"\n", "http.listen is not", ""},
	} {
		c, err := Parse("t.toml", []byte(tt.toml))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v", tt.toml, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want %q", tt.toml, err, tt.err)
		case err == nil && c.UnsubscribeURL() != tt.base:
			t.Errorf("%q: base %q", tt.toml, c.UnsubscribeURL())
		}
	}
}
