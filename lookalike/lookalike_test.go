package lookalike

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	own := "st-mary-hospital.fr"
	for _, tt := range []struct {
		domain, how string // how "" means no match
	}{
		{"st-mary-hospital.com", "under .com instead of .fr"},
		{"st-mary-hospital.co.uk", "under .co.uk"},
		{"st-marry-hospital.fr", "one letter"},
		{"st-mary-hopsital.fr", "one letter"},
		{"st-mary-hospita.fr", "one letter"},
		{"st-rnary-hospital.fr", "look-alike"},
		{"5t-mary-h0spital.fr", "look-alike"},
		{"stmary-hospital.fr", "one letter"},
		{"xn--st-mry-hospital-xlm.fr", "international"}, // Cyrillic а
		{"st-mary-hospital-login.com", "login page"},
		{"secure-stmaryhospital.net", "login page"},
		{"st-mary-hospital.account-verify.com", "subdomain of account-verify.com"},
		{"ST-Mary-Hospital.FR.", ""},
		{"mail.st-mary-hospital.fr", ""},
		{"st-mary-clinic.fr", ""},
		{"hospital.fr", ""},
		{"mary-hospital-foundation.org", ""},
		{"st-mary-hospital-cafeteria.com", ""},
		{"not a domain", ""},
		{"", ""},
	} {
		how, ok := Match(tt.domain, own)
		if ok != (tt.how != "") || !strings.Contains(how, tt.how) {
			t.Errorf("Match(%q): %q %v, want %q", tt.domain, how, ok, tt.how)
		}
	}
	// Short names need an exact look: one edit of "chu" is everyone.
	if _, ok := Match("chv.fr", "chu.fr"); ok {
		t.Error("chv.fr matched chu.fr by one edit")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("st-marry-hospital.fr", "st-mary-hospital.fr")
	f.Add("xn--st-mry-hospital-xlm.fr", "st-mary-hospital.fr")
	f.Add("a.b.c.d.e", "ééé.com")
	f.Fuzz(func(t *testing.T, d, o string) {
		how, ok := Match(d, o)
		if ok != (how != "") {
			t.Fatalf("Match(%q, %q) = %q, %v", d, o, how, ok)
		}
	})
}

// BenchmarkMatch is the watch's cost per pair: a #verify compares every
// verified domain with every institution's covers.
func BenchmarkMatch(b *testing.B) {
	domains := []string{"st-rnary-hospital.fr", "login.microsoftonline.com", "xn--st-mry-hospital-xlm.fr", "payroll-update.com",
		"st-mary-hospital.account-verify.com", "evil.example"}
	for i := 0; b.Loop(); i++ {
		Match(domains[i%len(domains)], "st-mary-hospital.fr")
	}
}
