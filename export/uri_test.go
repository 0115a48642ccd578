package export

import (
	"net/url"
	"testing"
)

// The URL values that broke STIX's RFC 3986 rule over the honeypot corpus,
// in the shapes they had.
func TestURIValue(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://evil.example/login?id=[123]", "https://evil.example/login?id=%5B123%5D"},
		{"https://evil.example/a%zzb%2", "https://evil.example/a%25zzb%252"},
		{"https://evil.example/a#b#c", "https://evil.example/a#b%23c"},
		{"https://evil.example/café/ü", "https://evil.example/caf%C3%A9/%C3%BC"},
		{"https://evil.example/x?u=%EMAIL%&t=1", "https://evil.example/x?u=&t=1"},
		{"https://evil.example/[open]/go", "https://evil.example//go"},
		{"https://evil.example/r?e={{email}}&m=*|EMAIL|*", "https://evil.example/r?e=&m="},
		{"https://[2a0b:4d07::1]:8443/a b", "https://[2a0b:4d07::1]:8443/a%20b"},
		{"https://evil.example/ok?a=1&b=%2F", "https://evil.example/ok?a=1&b=%2F"},
	} {
		got := uriValue(c.in)
		if got != c.want {
			t.Errorf("uriValue(%q) = %q, want %q", c.in, got, c.want)
		}
		if _, err := url.Parse(got); err != nil {
			t.Errorf("%q does not parse: %v", got, err)
		}
	}
}

// Two stored forms of one URL publish as one indicator.
func TestFilterMergesURIForms(t *testing.T) {
	ts := []Ticket{{Number: 1, TLP: "green", State: "new", Indicators: []Indicator{
		{Type: "url", Value: "https://evil.example/a b", Verified: true},
		{Type: "url", Value: "https://evil.example/a%20b", Verified: true},
	}}}
	out, err := Filter(ts, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || len(out[0].Indicators) != 1 || out[0].Indicators[0].Value != "https://evil.example/a%20b" {
		t.Fatalf("filtered %+v", out)
	}
}
