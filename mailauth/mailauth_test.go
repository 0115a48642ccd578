package mailauth

import (
	"strings"
	"testing"
)

const ourMX = "mx.league.example"

const alex = "alex@volunteers.example"

func arPass(domain string) string { return ourMX + "; dkim=pass header.d=" + domain }

func TestAuthenticated(t *testing.T) {
	const ours = "mx.league.example"
	tests := []struct {
		name    string
		id      string // the configured authserv-id
		from    string
		headers []string
		ok      bool
		want    string // in the reason or the how
	}{
		{"postfix and opendkim, comment with a semicolon", ours, "alex@volunteers.example",
			[]string{"mx.league.example; dkim=pass (2048-bit key; unprotected) header.d=volunteers.example header.i=@volunteers.example header.b=\"abc;def\""},
			true, "dkim=pass header.d=volunteers.example"},
		{"authserv-id with a version, any case", "MX.League.Example", "alex@volunteers.example",
			[]string{"Mx.League.Example 1; dkim=pass header.d=Volunteers.Example."}, true, "dkim=pass"},
		{"gmail style, header.i only", ours, "sam@triagers.example",
			[]string{"mx.league.example;\r\n       dkim=pass header.i=@triagers.example header.s=20230601 header.b=PqBP51+l;\r\n       dmarc=pass (p=NONE) header.from=triagers.example"},
			true, "dkim=pass header.d=triagers.example"},
		{"spf pass, mailfrom aligned", ours, "alex@volunteers.example",
			[]string{"mx.league.example; dkim=none; spf=pass (mx.league.example: domain of bounce@out.volunteers.example designates 203.0.113.5 as permitted sender) smtp.mailfrom=bounce@out.volunteers.example"},
			true, "spf=pass smtp.mailfrom=out.volunteers.example"},
		{"signing subdomain aligned", ours, "alex@mail.volunteers.example",
			[]string{"mx.league.example; dkim=pass header.d=volunteers.example"}, true, "dkim=pass"},
		{"no header", ours, "alex@volunteers.example", nil, false, "no Authentication-Results"},
		{"no authserv-id configured", "", "alex@volunteers.example",
			[]string{"mx.league.example; dkim=pass header.d=volunteers.example"}, false, "no trusted authserv-id"},
		{"topmost from another server", ours, "alex@volunteers.example",
			[]string{"mx.volunteers.example; dkim=pass header.d=volunteers.example", "mx.league.example; dkim=pass header.d=volunteers.example"},
			false, `from "mx.volunteers.example"`},
		{"ours fails, a forgery below passes", ours, "alex@volunteers.example",
			[]string{"mx.league.example; dkim=fail header.d=volunteers.example; spf=fail smtp.mailfrom=volunteers.example", "mx.league.example; dkim=pass header.d=volunteers.example"},
			false, "dkim=fail"},
		{"dkim pass for another domain", ours, "alex@volunteers.example",
			[]string{"mx.league.example; dkim=pass header.d=volunteers.example.net"}, false, "(dkim=pass header.d=volunteers.example.net)"},
		{"dkim pass for a look-alike", ours, "alex@volunteers.example",
			[]string{"mx.league.example; dkim=pass header.d=evilvolunteers.example"}, false, "no DKIM or SPF pass"},
		{"different registrants under a public suffix", ours, "nhs@trust.co.uk",
			[]string{"mx.league.example; dkim=pass header.d=attacker.co.uk"}, false, "no DKIM or SPF pass"},
		{"different sites under a private suffix", ours, "team@ours.github.io",
			[]string{"mx.league.example; dkim=pass header.d=theirs.github.io; spf=pass smtp.mailfrom=theirs.github.io"}, false, "no DKIM or SPF pass"},
		{"a bare public suffix never aligns", ours, "x@co.uk",
			[]string{"mx.league.example; dkim=pass header.d=uk"}, false, "no DKIM or SPF pass"},
		{"spf pass of the helo only", ours, "alex@volunteers.example",
			[]string{"mx.league.example; spf=pass smtp.helo=volunteers.example"}, false, "no DKIM or SPF pass"},
		{"neutral and softfail", ours, "alex@volunteers.example",
			[]string{"mx.league.example; dkim=neutral (no key) header.d=volunteers.example; spf=softfail smtp.mailfrom=volunteers.example"}, false, "spf=softfail"},
		{"none", ours, "alex@volunteers.example", []string{"mx.league.example; none"}, false, "no DKIM or SPF pass"},
		{"garbage", ours, "alex@volunteers.example", []string{";;;(((\"\\"}, false, "not our"},
		{"no sender", ours, "", []string{"mx.league.example; dkim=pass header.d=volunteers.example"}, false, "no sender domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(tt.id, tt.headers, tt.from)
			ok, why := r.Verdict == Pass, r.How
			if ok != tt.ok || !strings.Contains(why, tt.want) {
				t.Errorf("= %v %q; want %v and %q", ok, why, tt.ok, tt.want)
			}
		})
	}
}

func TestStripComments(t *testing.T) {
	tests := map[string]string{
		`a; dkim=pass (2048-bit key; unprotected) header.d=x`: `a; dkim=pass   header.d=x`,
		`a (b (nested; c) d) e`:                               `a   e`,
		`a; reason="x;y (z)"`:                                 `a; reason="x,y (z)"`,
		`a (\) still comment) b`:                              `a   b`,
		`a "\"" b`:                                            `a "\"" b`,
		`unclosed (comment; dkim=pass`:                        `unclosed `,
	}
	for in, want := range tests {
		if got := stripComments(in); got != want {
			t.Errorf("stripComments(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRunOfOurHeaders (issue 12, point 9): OpenDKIM and OpenDMARC write one
// header each; the run of our headers is read, never one below another
// server's; a method reported higher wins over a forgery lower down.
func TestRunOfOurHeaders(t *testing.T) {
	for _, tt := range []struct {
		name    string
		headers []string
		want    Verdict
	}{
		{"opendmarc above opendkim", []string{ourMX + "; dmarc=pass header.from=volunteers.example", ourMX + "; dkim=pass header.d=volunteers.example"}, Pass},
		{"forged pass appended below our none", []string{ourMX + "; dkim=none", ourMX + "; dkim=pass header.d=volunteers.example"}, None},
		{"ours below a foreign header", []string{"mx.evil.example; dkim=pass header.d=volunteers.example", arPass("volunteers.example")}, None},
		{"ours, then foreign, then a forgery", []string{ourMX + "; spf=none", "mx.evil.example; none", ourMX + "; dkim=pass header.d=volunteers.example"}, None},
		{"dmarc fail beats a pass", []string{ourMX + "; dmarc=fail header.from=volunteers.example", ourMX + "; spf=pass smtp.mailfrom=volunteers.example"}, Fail},
	} {
		if got := Evaluate(ourMX, tt.headers, alex); got.Verdict != tt.want {
			t.Errorf("%s: verdict %v (%s), want %v", tt.name, got.Verdict, got.How, tt.want)
		}
	}
}
