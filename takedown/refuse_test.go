package takedown

import (
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// Only verified URLs and domains are taken down: a value named that is
// not verified is the triager's mistake, and nothing is recorded.
func TestUnverifiedRefused(t *testing.T) {
	f := newFixture(t, nil)
	f.report()
	f.triager("#takedown hxxp://vpn-renew[.]evil[.]example/login")
	errs := f.to(store.KindCommandError, alex)
	if len(errs) != 1 || !strings.Contains(data(t, errs[0]).Result, "is not a verified URL or domain") {
		t.Fatalf("errors: %+v", errs)
	}
	f.triager("#takedown")
	errs = f.to(store.KindCommandError, alex)
	if len(errs) != 2 || !strings.Contains(data(t, errs[1]).Result, "no URL or domain of #1 is verified") {
		t.Fatalf("errors: %+v", errs)
	}
	f.tick()
	if got := f.outbox(store.KindTakedown); len(got) != 0 {
		t.Fatalf("unverified values were taken down: %+v", got)
	}
}

// The same value is not asked of the same desk twice in 7 days, unless
// forced with #takedown!.
func TestRepeatRefused(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.Resolve = false })
	f.report()
	f.triager("#verify", "#takedown hxxp://vpn-renew[.]evil[.]example/login")
	f.tick()
	if got := f.to(store.KindTakedown, registrarAbuse); len(got) != 1 {
		t.Fatalf("first request: %d", len(got))
	}
	f.advance(24 * time.Hour)
	f.triager("#takedown hxxp://vpn-renew[.]evil[.]example/login")
	f.tick()
	if got := f.to(store.KindTakedown, registrarAbuse); len(got) != 1 {
		t.Fatalf("asked again within 7 days: %d requests", len(got))
	}
	conf := f.to(store.KindCommandConfirm, alex)
	if res := data(t, conf[len(conf)-1]).Result; !strings.Contains(res, "already requested from abuse@registrar.example on 2026-11-23") {
		t.Fatalf("confirmation:\n%s", res)
	}
	f.triager("#takedown! hxxp://vpn-renew[.]evil[.]example/login")
	f.tick()
	if got := f.to(store.KindTakedown, registrarAbuse); len(got) != 2 {
		t.Fatalf("#takedown! did not ask again: %d requests", len(got))
	}
}

// Never taken down: warninglisted values, the league's domains, the
// contacts' domains.
func TestNeverTakenDown(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*Config)
		contact *store.Contact
		want    string
	}{
		{"warninglist", func(c *Config) {
			c.Warninglisted = func(typ, v string) (string, bool) {
				return "Top 1000 websites", typ == "domain" && strings.HasSuffix(v, "evil.example")
			}
		}, nil, "on the warninglist Top 1000 websites"},
		{"league", func(c *Config) { c.Domains = []string{"evil.example"} }, nil, "one of the league's own domains"},
		{"contact", nil, &store.Contact{Kind: "institution", Name: "Evil Hospital", Email: "it@evil.example"}, "the domain of a contact of ours (institution Evil Hospital)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.edit)
			if c.contact != nil {
				if _, err := f.st.PutContact(f.ctx, *c.contact); err != nil {
					t.Fatal(err)
				}
			}
			f.report()
			f.triager("#verify", "#takedown")
			f.tick()
			if got := f.outbox(store.KindTakedown); len(got) != 0 {
				t.Fatalf("taken down: %+v", got)
			}
			conf := f.to(store.KindCommandConfirm, alex)
			res := data(t, conf[len(conf)-1]).Result
			if !strings.Contains(res, "Refused:") || !strings.Contains(res, c.want) || !strings.Contains(res, "No takedown request was queued") {
				t.Fatalf("confirmation (want %q):\n%s", c.want, res)
			}
		})
	}
}

// An abuse contact of ours wins over RDAP for what it covers: a domain,
// or a range.
func TestCoversWin(t *testing.T) {
	f := newFixture(t, nil)
	for _, c := range []store.Contact{
		{Kind: "abuse", Name: "Registry Abuse Team", Email: "takedown@registry.example", Covers: "evil.example"},
		{Kind: "abuse", Name: "Hoster Ticketing", Email: "tickets@hoster.example", Covers: "AS64500 192.0.2.0/24"},
	} {
		if _, err := f.st.PutContact(f.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	f.report()
	f.triager("#verify", "#takedown")
	f.tick()
	if got := f.to(store.KindTakedown, "takedown@registry.example"); len(got) != 1 {
		t.Errorf("the domain's cover: %d requests", len(got))
	}
	if got := f.to(store.KindTakedown, "tickets@hoster.example"); len(got) != 1 {
		t.Errorf("the range's cover: %d requests", len(got))
	}
	if got := len(f.to(store.KindTakedown, registrarAbuse)) + len(f.to(store.KindTakedown, hosterAbuse)); got != 0 {
		t.Errorf("RDAP's desks were mailed too: %d", got)
	}
	if n := f.rdap.served("/domain/evil.example") + f.rdap.served("/ip/"+phishIP); n != 0 {
		t.Errorf("RDAP asked %d times for what a contact covers", n)
	}
}

func TestParseCovers(t *testing.T) {
	c, err := ParseCovers("Evil.Example. AS64500 192.0.2.0/24 2001:db8::/32 198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Domains) != 1 || c.Domains[0] != "evil.example" || len(c.ASNs) != 1 || c.ASNs[0] != 64500 || len(c.Prefixes) != 3 {
		t.Errorf("%+v", c)
	}
	for _, bad := range []string{"AS99999999999", "192.0.2.0/33", "localhost", "x@y.example", "*.evil.example"} {
		if _, err := ParseCovers(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
