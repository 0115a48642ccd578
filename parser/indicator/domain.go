package indicator

import (
	"strings"
	"sync"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Limits of RFC 1035 section 2.3.4.
const (
	maxName  = 253
	maxLabel = 63
)

// hostContext says where a host name was found, for the heuristics that
// tell a domain from a file name.
type hostContext struct {
	bare     bool // a token of its own in text, not in a URL or an address
	defanged bool // written defanged, so meant as an indicator
}

// hostName validates b as a domain name and returns it lower-case, in
// A-label form (RFC 5891), without a trailing dot. It fails for names whose
// last label is not an ICANN public suffix, for public suffixes themselves
// ("co.uk") and for excluded domains.
func (x *Extractor) hostName(b []byte, ctx hostContext) (string, bool) {
	if n := len(b); n > 0 && b[n-1] == '.' {
		b = b[:n-1]
	}
	if len(b) < 4 || len(b) > 4*maxName {
		return "", false
	}
	var buf [maxName]byte
	var name []byte
	if ascii(b) {
		if len(b) > maxName {
			return "", false
		}
		name = buf[:len(b)]
		for i, c := range b {
			name[i] = lower(c)
		}
	} else {
		// UTS #46 processing as browsers do it: case folding, NFC, and
		// the validity rules of the Lookup profile.
		a, err := idna.Lookup.ToASCII(string(b))
		if err != nil || len(a) > maxName {
			return "", false
		}
		name = append(buf[:0], a...)
		ctx.bare = false // the case heuristics below read ASCII letters
	}
	tld, ok := checkLabels(name)
	if !ok || !icannTLD(tld) {
		return "", false
	}
	if ctx.bare && !ctx.defanged && looksLikeFile(b, len(name)-len(tld)-1) {
		return "", false
	}
	s := string(name)
	ps, icann := publicsuffix.PublicSuffix(s)
	if icann && ps == s {
		return "", false
	}
	// The label registered under a public suffix is a host name (RFC 952,
	// RFC 1123 section 2.1): no underscore, unlike the labels below it
	// ("_dmarc.example.com"). A name that is itself a suffix of the
	// private section ("de.com") is registered under its ICANN part.
	reg := s
	if len(ps) < len(s) {
		reg = s[:len(s)-len(ps)-1]
	}
	if strings.IndexByte(reg[strings.LastIndexByte(reg, '.')+1:], '_') >= 0 {
		return "", false
	}
	if x.excluded(s) {
		return "", false
	}
	return s, true
}

// checkLabels checks the labels of a lower-case ASCII name: 1 to 63
// letters, digits, hyphens or underscores (found in SRV and DKIM names),
// not starting or ending with a hyphen, at least two of them, and a last
// label that is a possible top-level domain: letters, or an A-label.
func checkLabels(name []byte) (tld []byte, ok bool) {
	start, labels := 0, 0
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '.' {
			c := name[i]
			if class[c]&cHost == 0 {
				return nil, false
			}
			continue
		}
		l := name[start:i]
		if len(l) == 0 || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
			return nil, false
		}
		labels++
		start = i + 1
	}
	tld = name[strings.LastIndexByte(string(name), '.')+1:]
	if labels < 2 || len(tld) < 2 {
		return nil, false
	}
	if hasPrefixFold(tld, "xn--") {
		return tld, true
	}
	for _, c := range tld {
		if c < 'a' || c > 'z' {
			return nil, false
		}
	}
	return tld, true
}

// fileTLDs are top-level domains that are far more often file extensions
// in mail text: archives (.zip), videos (.mov), OneNote documents (.one),
// scripts (.py, .sh) and Markdown (.md).
var fileTLDs = map[string]bool{"zip": true, "mov": true, "one": true, "py": true, "sh": true, "md": true}

// looksLikeFile reports whether a bare token is more likely a file name or
// a missing space after a full stop than a domain: "report.zip",
// "install.sh", or "your account.Click here" where the last label is
// capitalised but the one before is not.
func looksLikeFile(orig []byte, dot int) bool {
	if dot <= 0 || dot >= len(orig) {
		return false
	}
	tld := orig[dot+1:]
	prev := orig[:dot]
	if i := strings.LastIndexByte(string(prev), '.'); i >= 0 {
		prev = prev[i+1:]
	} else {
		var buf [8]byte
		if len(tld) <= len(buf) {
			t := buf[:len(tld)]
			for i, c := range tld {
				t[i] = lower(c)
			}
			if fileTLDs[string(t)] {
				return true
			}
		}
	}
	titled := func(l []byte) bool {
		if len(l) < 2 || l[0] < 'A' || l[0] > 'Z' {
			return false
		}
		for _, c := range l[1:] {
			if c < 'a' || c > 'z' {
				return false
			}
		}
		return true
	}
	return titled(tld) && len(prev) > 0 && 'a' <= prev[0] && prev[0] <= 'z'
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// tldCache remembers which last labels are ICANN public suffixes, so that
// the scanner asks the public suffix list once per label and rejects a
// candidate without allocating. It is bounded: labels are attacker input.
var tldCache = struct {
	sync.RWMutex
	m map[string]bool
}{m: make(map[string]bool)}

const tldCacheMax = 4096

// icannTLD reports whether the lower-case label is a top-level domain of
// the ICANN section of the public suffix list. Names in the private
// section or matched only by the default rule ("invoice.pdf") are not
// domains for us.
//
// The one addition is "example", reserved for documentation by RFC 2606
// as TEST-NET addresses are by RFC 5737: DESIGN.md writes its examples
// with it (http://bad.example/login), and so do the demo and the tests.
// Like TEST-NET addresses, such names never occur in real mail.
func icannTLD(label []byte) bool {
	if string(label) == "example" {
		return true
	}
	tldCache.RLock()
	v, ok := tldCache.m[string(label)]
	tldCache.RUnlock()
	if ok {
		return v
	}
	s := string(label)
	ps, icann := publicsuffix.PublicSuffix(s)
	v = icann && ps == s
	tldCache.Lock()
	if len(tldCache.m) < tldCacheMax {
		tldCache.m[s] = v
	}
	tldCache.Unlock()
	return v
}

// excluded reports whether name is one of Options.Exclude or below one.
func (x *Extractor) excluded(name string) bool {
	for _, e := range x.exclude {
		if name == e || len(name) > len(e) && name[len(name)-len(e)-1] == '.' && name[len(name)-len(e):] == e {
			return true
		}
	}
	return false
}

// normalizeExclude brings the configured domains to the form hostName
// returns, so that a comparison suffices.
func normalizeExclude(domains []string) []string {
	var out []string
	for _, d := range domains {
		d = strings.TrimSuffix(strings.TrimSpace(d), ".")
		if d == "" {
			continue
		}
		if a, err := idna.Lookup.ToASCII(d); err == nil {
			d = a
		}
		out = append(out, strings.ToLower(d))
	}
	return out
}
