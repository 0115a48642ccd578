package warninglists

import (
	"strings"
	"testing"
)

// shared is the subset of the real misp-warninglists checkout kept beside
// the repository (../shared/warninglists, see its README).
const shared = "../../shared/warninglists/lists"

func loadShared(t *testing.T) *Set {
	t.Helper()
	s, warns, err := Load(shared)
	if err != nil {
		t.Skipf("shared warninglists not present: %v", err)
	}
	for _, w := range warns {
		t.Logf("warning: %v", w)
	}
	return s
}

func TestMatchCheckout(t *testing.T) {
	s := loadShared(t)
	for _, c := range []struct {
		typ, value, want string
	}{
		// Office 365 and Gmail relays as Received shows them.
		{"domain", "am0pr01mb1234.eurprd01.prod.outlook.com", "List of known microsoft domains"},
		{"ipv4", "40.107.5.100", "List of known Office 365 IP address ranges"},
		{"ipv4", "209.85.220.41", "List of known Gmail sending IP ranges"},
		{"domain", "mail-sor-f41.google.com", "List of known google domains"},
		{"domain", "docs.google.com", "List of known google domains"},
		// Documentation and CGNAT ranges.
		{"ipv4", "203.0.113.7", "List of RFC 5735 CIDR blocks"},
		{"ipv4", "100.64.1.1", "List of RFC 6598 CIDR blocks"},
		{"ipv6", "2001:db8::1", "List of RFC 3849 CIDR blocks"},
		{"sha256", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "List of known hashes for empty files"},
		// A hostname entry covers its subdomains...
		{"domain", "news.bit.ly", "List of known URL Shorteners domains"},
		// ...but a bare platform domain only: below a public suffix of
		// the PSL's private section, a name is its owner's.
		{"domain", "web.app", "Top 10K most-used sites from Tranco"},
		{"domain", "storage-quota-warning.web.app", ""},
		{"domain", "x.github.io", ""},
		{"domain", "y.blogspot.com", ""},
		// Platforms not on the PSL that give each user a name: tranco10k
		// lists sharepoint.com, yet a tenant's site is the tenant's.
		{"domain", "sharepoint.com", "List of known Office 365 URLs"},
		{"domain", "evil-tenant.sharepoint.com", ""},
		{"domain", "evil-tenant-my.sharepoint.com", ""},
		// A URL on a platform is the phish; its bare root is the platform.
		{"url", "https://docs.google.com/forms/d/e/1FAIpQL/viewform", ""},
		{"url", "https://bit.ly/3xYz", ""},
		{"url", "https://bit.ly/", "List of known URL Shorteners domains"},
		{"domain", "ameli-remboursement.com", ""},
		{"ipv4", "185.220.101.4", ""},
		{"email", "ceo.fraud.xyz@gmail.com", ""},
		{"cve", "CVE-2024-3400", ""},
	} {
		got, ok := s.Match(c.typ, c.value)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("Match(%s, %s) = %q, %v; want %q", c.typ, c.value, got, ok, c.want)
		}
	}
}

func TestDefault(t *testing.T) {
	s := Default()
	if s.Len() < 5 {
		t.Fatalf("default set has %d lists", s.Len())
	}
	for _, c := range []struct {
		typ, value string
		warned     bool
	}{
		{"domain", "am0pr01mb1234.eurprd01.prod.outlook.com", true},
		{"ipv4", "40.107.5.100", true},
		{"ipv4", "209.85.220.41", true},
		{"ipv6", "2a01:111:f403:2612::701", true},
		{"domain", "mail-sor-f41.google.com", true},
		{"domain", "docs.google.com", true},
		{"domain", "sites.google.com", true},
		{"domain", "drive.google.com", true},
		{"url", "https://docs.google.com/forms/d/e/1FAIpQL/viewform", false},
		{"domain", "gmail.com", true},
		{"email", "ceo.fraud.xyz@gmail.com", false},
		{"domain", "web.app", true},
		{"domain", "storage-quota-warning.web.app", false},
		{"domain", "x.github.io", false},
		{"domain", "tenant.sharepoint.com", false}, // a string entry is exact
		{"domain", "bit.ly", true},
		{"domain", "ameli-remboursement.com", false},
		{"ipv4", "185.220.101.4", false},
	} {
		name, ok := s.Match(c.typ, c.value)
		if ok != c.warned {
			t.Errorf("Match(%s, %s) = %q, %v; want warned %v", c.typ, c.value, name, ok, c.warned)
		}
	}
	if !Freemail("gmail.com") || Freemail("hospital.example") {
		t.Error("Freemail is wrong about gmail.com or hospital.example")
	}
}

func TestLoadSkipsBadEntries(t *testing.T) {
	s, warns, err := Load("testdata/lists")
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 2 {
		t.Fatalf("warnings = %v, want one per list with a bad entry", warns)
	}
	for _, w := range warns {
		if !strings.Contains(w.Error(), "Test ") {
			t.Errorf("warning %q does not name its list", w)
		}
	}
	for _, c := range []struct{ typ, value, want string }{
		{"ipv4", "198.51.100.200", "Test ranges"},
		{"ipv4", "192.0.2.9", "Test ranges"},
		{"ipv4", "192.0.2.10", ""},
		{"ipv6", "2001:db8:1:2::3", "Test ranges"},
		{"url", "https://TRACKER.example/abc", "Test patterns"},
		{"url", "https://tracker.example/abc/def", ""},
		{"domain", "tracker.example", ""}, // the list is for URLs only
	} {
		if got, _ := s.Match(c.typ, c.value); got != c.want {
			t.Errorf("Match(%s, %s) = %q, want %q", c.typ, c.value, got, c.want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct{ dir, want string }{
		{"testdata/broken", "broken/x/list.json"},
		{"testdata/none", "no such file"},
		{"testdata/README.md", "not a folder"},
		{"testdata/lists/regexes/..", ""},
	} {
		_, _, err := Load(c.dir)
		if c.want == "" {
			if err != nil {
				t.Errorf("Load(%s): %v", c.dir, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s) = %v, want an error naming %q", c.dir, err, c.want)
		}
	}
}

func TestNilSet(t *testing.T) {
	var s *Set
	if _, ok := s.Match("domain", "example.com"); ok || s.Len() != 0 {
		t.Error("a nil set matched")
	}
}

func BenchmarkMatch(b *testing.B) {
	s, _, err := Load(shared)
	if err != nil {
		b.Skip(err)
	}
	vals := [][2]string{{"domain", "am0pr01mb1234.eurprd01.prod.outlook.com"}, {"ipv4", "185.220.101.4"},
		{"url", "https://evil.example/login?x=1"}, {"domain", "storage-quota-warning.web.app"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		v := vals[i%len(vals)]
		s.Match(v[0], v[1])
	}
}
