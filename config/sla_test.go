package config

import (
	"strings"
	"testing"
	"time"
)

func TestSLAGood(t *testing.T) {
	c, err := Parse("leaguemail.toml", []byte(good+`
[sla]
escalate_to = ["leads@league.example"]
digest_at = "07:30"
interval = "5s"

[sla.targets]
critical = { response = "30s", resolve = "2m" }
low = { resolve = "14d" }

[sla.oncall]
"alex@volunteers.example.org" = "Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC"
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.SLA
	if s.Targets["critical"].Response.Duration != 30*time.Second || s.Targets["low"].Resolve.Duration != 14*24*time.Hour {
		t.Errorf("targets = %+v", s.Targets)
	}
	if s.DigestTime() != 7*time.Hour+30*time.Minute || s.Interval.Duration != 5*time.Second {
		t.Errorf("digest_at %v, interval %v", s.DigestTime(), s.Interval)
	}
	if s.OnCall["alex@volunteers.example.org"] == "" || s.EscalateTo[0] != "leads@league.example" {
		t.Errorf("sla = %+v", s)
	}
	if (SLA{}).DigestTime() != 8*time.Hour || (SLA{DigestAt: "off"}).DigestTime() >= 0 {
		t.Errorf("digest_at defaults wrong")
	}
}

func TestSLABad(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{"[sla.targets]\nurgent = { response = \"1m\", resolve = \"1h\" }\n",
			`leaguemail.toml:25: [sla] targets.urgent: "urgent" is not a severity`},
		{"[sla.targets]\nhigh = { response = \"2h\", resolve = \"1h\" }\n",
			`leaguemail.toml:25: [sla] targets.high: the resolve target 1h0m0s is shorter than the response target 2h0m0s`},
		{"[sla.targets]\nhigh = { respond = \"2h\" }\n",
			`[sla] targets.high.respond: unknown key`},
		{"[sla.targets]\nhigh = { response = \"soon\" }\n",
			`not a duration`},
		{"[sla]\ndigest_at = \"8am\"\n",
			`leaguemail.toml:25: [sla] digest_at: "8am": want a time of day like 08:00, or off`},
		{"[sla]\nescalate_to = [\"Leads <leads@league.example>\"]\n",
			`leaguemail.toml:25: [sla] escalate_to: "Leads <leads@league.example>" is not a bare mail address`},
		{"[sla.oncall]\n\"alex\" = \"Mon 08:00-16:00 UTC\"\n",
			`leaguemail.toml:25: [sla] oncall.alex: "alex" is not a bare mail address`},
	} {
		_, err := Parse("leaguemail.toml", []byte(good+"\n"+tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.body, err, tt.want)
		}
	}
}
