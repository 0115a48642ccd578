package indicator

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

var fuzzSeeds = []string{
	"hxxps://evil[.]example.com/a?b=c (see https://en.wikipedia.org/wiki/X_(y)).",
	"user [at] evil [dot] com, 185.117.73[.]7, 2a0b:4d07::1, ::ffff:45.133.1.1",
	"d41d8cd98f00b204e9800998ecf8427e CVE-2021-44228 bücher.de report.zip",
	"https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Furldefense.proofpoint.com%2Fv2%2Furl%3Fu%3Dhttps-3A__evil.com_a%26d%3Dx&data=1",
	"https://urldefense.com/v3/__https://evil.example.com/x*y**Az*__;PyMjw6k!!ABC!def$",
	"https://protect-eu.mimecast.com/s/abc?domain=evil.example.com",
	"[[[[....@@@@hxxp://hxxp://(.)(.)[.][.]",
	"\xff\xfe\x00evil.com\xc3",
}

// FuzzExtract checks that Extract never panics and that what it emits is
// normal: Normalize gives it back unchanged, domains end in an ICANN
// suffix, and values are valid UTF-8 without spaces.
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	x := New(Options{Exclude: []string{"league.example"}})
	f.Fuzz(func(t *testing.T, data []byte) {
		x.Extract(data, func(ind Indicator) bool {
			checkIndicator(t, x, ind)
			for _, r := range x.Related(ind) {
				checkIndicator(t, x, r)
			}
			return true
		})
	})
}

func checkIndicator(t *testing.T, x *Extractor, ind Indicator) {
	t.Helper()
	v := ind.Value
	if !utf8.ValidString(v) || strings.ContainsAny(v, " \t\r\n\x00") {
		t.Fatalf("%s %q: not clean text", ind.Type, v)
	}
	if ind.Type == URL && len(v) > maxURL || ind.Type == Domain && len(v) > maxName {
		t.Fatalf("%s %q: too long", ind.Type, v)
	}
	n, ok := x.Normalize(ind.Type, v)
	if !ok || n != ind {
		t.Fatalf("Normalize(%s, %q) = %v, %v; want it unchanged", ind.Type, v, n, ok)
	}
	if ind.Type == Domain {
		tld := v[strings.LastIndexByte(v, '.')+1:]
		if _, icann := publicsuffix.PublicSuffix(tld); !icann && tld != "example" {
			t.Fatalf("domain %q: %q is not an ICANN suffix", v, tld)
		}
		if x.excluded(v) {
			t.Fatalf("domain %q is excluded", v)
		}
	}
}

// FuzzDefang checks that every indicator Extract finds comes back from
// Extract over its defanged form. Values that Refang would change (a
// "[.]" that refanging "[[.].]" left, or one decoded from a Safe Link)
// cannot: Extract refangs all text.
func FuzzDefang(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	x := New(Options{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var found []Indicator
		x.Extract(data, func(ind Indicator) bool {
			found = append(found, ind)
			return len(found) < 64
		})
		for _, ind := range found {
			if Refang(ind.Value) != ind.Value {
				continue
			}
			d := Defang(ind)
			if ind.Type != MD5 && ind.Type != SHA1 && ind.Type != SHA256 && ind.Type != CVE && d == ind.Value {
				t.Errorf("Defang(%v) changed nothing", ind)
			}
			if !contains(x, d, ind) {
				t.Errorf("Extract(Defang(%v) = %q) does not give it back", ind, d)
			}
		}
	})
}
