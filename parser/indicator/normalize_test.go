package indicator

import "testing"

func TestNormalize(t *testing.T) {
	x := New(Options{Exclude: []string{"league.example"}})
	tests := []struct {
		t      Type
		in     string
		want   Indicator
		wantOK bool
	}{
		{URL, "HTTPS://Evil.Example.COM/a b", Indicator{URL, "https://evil.example.com/a%20b"}, true},
		{URL, " https://evil.example.com/a. ", Indicator{URL, "https://evil.example.com/a."}, true},
		{URL, "https://nam02.safelinks.protection.outlook.com/?url=http%3A%2F%2Fevil.example.com%2F&data=1", Indicator{URL, "http://evil.example.com/"}, true},
		{URL, "mailto:a@evil.example.com", Indicator{}, false},
		{URL, "/relative/path", Indicator{}, false},
		{URL, "javascript:alert(1)", Indicator{}, false},
		{URL, "http://10.0.0.1/", Indicator{}, false},
		{URL, "https://www.league.example/x", Indicator{}, false},
		{Domain, "Mail.Evil.Example.COM.", Indicator{Domain, "mail.evil.example.com"}, true},
		{Domain, "bücher.de", Indicator{Domain, "xn--bcher-kva.de"}, true},
		{Domain, "report.zip", Indicator{Domain, "report.zip"}, true},
		{Domain, "invoice.pdf", Indicator{}, false},
		{Domain, "mx.league.example", Indicator{}, false},
		{Domain, "localhost", Indicator{}, false},
		{IPv4, "[185.117.73.5]", Indicator{IPv4, "185.117.73.5"}, true},
		{IPv4, "10.0.0.5", Indicator{}, false},
		{IPv6, "[IPv6:2A0B:4D07:0:0::1]", Indicator{IPv6, "2a0b:4d07::1"}, true},
		{IPv4, "2a0b:4d07::5", Indicator{IPv6, "2a0b:4d07::5"}, true},
		{IPv6, "fe80::1%eth0", Indicator{}, false},
		{Email, "<Bounce@Evil.Example.COM>", Indicator{Email, "bounce@evil.example.com"}, true},
		{Email, "mailto:x@evil.example.com", Indicator{Email, "x@evil.example.com"}, true},
		{Email, "MAILER-DAEMON", Indicator{}, false},
		{Email, "a..b@evil.example.com", Indicator{}, false},
		{Email, "report@league.example", Indicator{}, false},
		{MD5, "D41D8CD98F00B204E9800998ECF8427E", Indicator{MD5, "d41d8cd98f00b204e9800998ecf8427e"}, true},
		{SHA256, "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc", Indicator{SHA1, "adc83b19e793491b1c6ea0fd8b46cd9f32e592fc"}, true},
		{SHA1, "xyz", Indicator{}, false},
		{CVE, "cve-2021-44228", Indicator{CVE, "CVE-2021-44228"}, true},
		{CVE, "CVE-2021-44228x", Indicator{}, false},
		{Type("asn"), "AS1234", Indicator{}, false},
	}
	for _, tt := range tests {
		got, ok := x.Normalize(tt.t, tt.in)
		if ok != tt.wantOK || ok && got != tt.want {
			t.Errorf("Normalize(%s, %q) = %v, %v; want %v, %v", tt.t, tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestRelated(t *testing.T) {
	x := New(Options{})
	tests := []struct {
		in   Indicator
		want []Indicator
	}{
		{Indicator{URL, "https://evil.example.com/x"}, []Indicator{{Domain, "evil.example.com"}}},
		{Indicator{URL, "http://[2a0b:4d07::9]/"}, []Indicator{{IPv6, "2a0b:4d07::9"}}},
		{Indicator{URL, "https://protect-us.mimecast.com/s/abc?domain=evil.example.com"}, []Indicator{{Domain, "evil.example.com"}}},
		{Indicator{Email, "a@evil.example.com"}, []Indicator{{Domain, "evil.example.com"}}},
		{Indicator{MD5, "d41d8cd98f00b204e9800998ecf8427e"}, nil},
	}
	for _, tt := range tests {
		got := x.Related(tt.in)
		if len(got) != len(tt.want) || len(got) > 0 && got[0] != tt.want[0] {
			t.Errorf("Related(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestUnwrap(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://nam12.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example.com%2Fa%3Fb%3Dc&data=05%7C01&sdata=x&reserved=0", "https://evil.example.com/a?b=c"},
		{"https://urldefense.proofpoint.com/v2/url?u=http-3A__evil.example.com_a-2Db&d=x&c=y", "http://evil.example.com/a-b"},
		{"https://urldefense.proofpoint.com/v1/url?u=http%3A%2F%2Fevil.example.com%2F&k=x", "http://evil.example.com/"},
		{"https://urldefense.com/v3/__https://evil.example.com/__;!!Abc!def$", "https://evil.example.com/"},
		{"https://urldefense.com/v3/__https://evil.example.com/*__;Pw!!Abc!def$", "https://evil.example.com/?"},
		{"https://urldefense.com/v3/__https://evil.example.com/*__;!!Abc!def$", "https://evil.example.com/*"},
		{"https://www.google.com/url?sa=t&url=https%3A%2F%2Fevil.example.com%2F", "https://evil.example.com/"},
		{"https://www.google.com/url?q=not+a+url", "https://www.google.com/url?q=not+a+url"},
		{"https://protect-eu.mimecast.com/s/abc?domain=evil.example.com", "https://protect-eu.mimecast.com/s/abc?domain=evil.example.com"},
		{"https://evil.example.com/?url=https://other.example.com/", "https://evil.example.com/?url=https://other.example.com/"},
	}
	for _, tt := range tests {
		if got := Unwrap(tt.in); got != tt.want {
			t.Errorf("Unwrap(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnwrapDepth(t *testing.T) {
	// A link wrapped more deeply than maxUnwrap stops unwrapping; it must
	// not loop.
	u := "https://evil.example.com/"
	for range 20 {
		u = "https://www.google.com/url?q=" + urlQueryEscape(u)
	}
	x := New(Options{})
	if _, ok := x.Normalize(URL, u); !ok {
		t.Errorf("Normalize of a deeply wrapped link failed")
	}
}
