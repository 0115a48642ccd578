package indicator

import (
	"net/url"
	"testing"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func TestDefang(t *testing.T) {
	tests := []struct {
		in   Indicator
		want string
	}{
		{Indicator{URL, "http://evil.example/path"}, "hxxp://evil[.]example/path"},
		{Indicator{URL, "https://user@evil.example:8443/a.b?c=d.e"}, "hxxps://user@evil[.]example:8443/a.b?c=d.e"},
		{Indicator{URL, "ftp://evil.example/x"}, "fxp://evil[.]example/x"},
		{Indicator{URL, "sftp://evil.example/x"}, "sftp[://]evil[.]example/x"},
		{Indicator{URL, "http://[2a0b:4d07::1]:80/"}, "hxxp://[2a0b[:]4d07[:][:]1][:]80/"},
		{Indicator{Domain, "evil.example"}, "evil[.]example"},
		{Indicator{Email, "user.name@evil.example"}, "user.name[@]evil[.]example"},
		{Indicator{IPv4, "45.133.1.1"}, "45.133.1[.]1"},
		{Indicator{IPv6, "2a0b:4d07::1"}, "2a0b[:]4d07[:][:]1"},
		{Indicator{MD5, "d41d8cd98f00b204e9800998ecf8427e"}, "d41d8cd98f00b204e9800998ecf8427e"},
		{Indicator{CVE, "CVE-2021-44228"}, "CVE-2021-44228"},
	}
	x := New(Options{})
	for _, tt := range tests {
		got := Defang(tt.in)
		if got != tt.want {
			t.Errorf("Defang(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if !contains(x, got, tt.in) {
			t.Errorf("Extract(%q) does not give back %v", got, tt.in)
		}
	}
}

func TestRefang(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hxxp://evil[.]example", "http://evil.example"},
		{"HXXPS://evil[.]example", "https://evil.example"},
		{"hxxps[:]//evil[.]example[/]x", "https://evil.example/x"},
		{"user [at] evil [dot] example", "user@evil.example"},
		{"user(@)evil{.}example", "user@evil.example"},
		{"111[.111.]111[.111", "111.111.111.111"},
		{"a smiley (:) and (at) noon", "a smiley (:) and@noon"},
		{"http://plain.example/", "http://plain.example/"},
		{"hxxp is a word", "hxxp is a word"},
	}
	for _, tt := range tests {
		if got := Refang(tt.in); got != tt.want {
			t.Errorf("Refang(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func contains(x *Extractor, text string, want Indicator) bool {
	found := false
	x.Extract([]byte(text), func(ind Indicator) bool {
		found = ind == want
		return !found
	})
	return found
}
