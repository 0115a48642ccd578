package config

import (
	"strings"
	"testing"
)

func TestTakedownKeys(t *testing.T) {
	section := func(body string) string { return good + "\n[takedown]\n" + body }
	c, err := Load(write(t, section("rdap_bootstrap = \"/var/lib/leaguemail/rdap\"\nresolve = true\nresolver = \"127.0.0.1:5353\"\ncheck_interval = \"30m\"\nwatch_for = \"14d\"\ncheck_proxy = \"http://127.0.0.1:3128\"\n")), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Takedown.Resolve || c.Takedown.Resolver != "127.0.0.1:5353" || c.Takedown.WatchFor.Hours() != 14*24 || c.Takedown.CheckProxy == "" {
		t.Errorf("%+v", c.Takedown)
	}
	if c, err := Load(write(t, good), true, []string{"LEAGUEMAIL_TAKEDOWN_RESOLVE=true"}); err != nil || !c.Takedown.Resolve {
		t.Errorf("resolve from the environment: %v", err)
	}
	tests := []struct{ name, body, want string }{
		{"http bootstrap", `rdap_bootstrap = "http://data.iana.example/rdap/"`, "[takedown] rdap_bootstrap: \"http://data.iana.example/rdap/\": want https"},
		{"resolver without port", `resolver = "127.0.0.1"`, "[takedown] resolver: \"127.0.0.1\": want host:port"},
		{"proxy", `check_proxy = "proxy.example:3128"`, "[takedown] check_proxy: "},
		{"bounds", "check_interval = \"2h\"\ncheck_max = \"1h\"", "[takedown] check_max: 1h0m0s is below check_interval 2h0m0s"},
		{"typo", `check_intervall = "1h"`, "[takedown] check_intervall: unknown key"},
	}
	for _, tt := range tests {
		_, err := Load(write(t, section(tt.body)), true, nil)
		if err == nil || !strings.Contains(err.Error(), "leaguemail.toml:") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q with file and line", tt.name, err, tt.want)
		}
	}
	if _, err := Load(write(t, good), true, []string{"LEAGUEMAIL_TAKEDOWN_RESOLVE=maybe"}); err == nil || !strings.Contains(err.Error(), "want true or false") {
		t.Errorf("bad bool from the environment: %v", err)
	}
}
