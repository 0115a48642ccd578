package indicator

import (
	"bytes"
	"strings"
)

// Normalize checks and normalises one value already known to be of type t
// (an href target, an address from a header, an IP from a Received line).
// It applies the same unwrapping, normalisation and exclusions as Extract.
//
// The value must be the indicator as a whole: Normalize does not refang
// it, and does not trim punctuation around it, since an href or a header
// field is exact where text is not. An IP literal may be bracketed as in
// Received ("[192.0.2.1]", "[IPv6:2001:db8::1]"), and an address may be
// in angle brackets or a mailto: URL. For ipv4 and ipv6 the result has the
// type of the address found; for the hash types, the type its length says.
func (x *Extractor) Normalize(t Type, value string) (Indicator, bool) {
	v := []byte(strings.TrimSpace(value))
	switch t {
	case URL:
		if len(v) > 4*maxURL {
			return Indicator{}, false
		}
		u, _, ok := x.normalizeURL(v, 0)
		return Indicator{Type: URL, Value: u}, ok
	case Domain:
		name, ok := x.hostName(v, hostContext{})
		return Indicator{Type: Domain, Value: name}, ok
	case IPv4, IPv6:
		if len(v) > 2 && v[0] == '[' && v[len(v)-1] == ']' {
			v = v[1 : len(v)-1]
		}
		if hasPrefixFold(v, "ipv6:") {
			v = v[5:]
		}
		if len(v) > 64 {
			return Indicator{}, false
		}
		a, ok := parseIP(v)
		if !ok {
			return Indicator{}, false
		}
		return ipIndicator(a)
	case Email:
		if len(v) > 2 && v[0] == '<' && v[len(v)-1] == '>' {
			v = v[1 : len(v)-1]
		}
		if hasPrefixFold(v, "mailto:") {
			v = v[7:]
		}
		at := bytes.LastIndexByte(v, '@')
		if at < 0 || !validLocal(v[:at]) {
			return Indicator{}, false
		}
		name, ok := x.hostName(v[at+1:], hostContext{})
		if !ok {
			return Indicator{}, false
		}
		return Indicator{Type: Email, Value: emailValue(v[:at], name)}, true
	case MD5, SHA1, SHA256:
		ht := hashType(len(v))
		if ht == "" {
			return Indicator{}, false
		}
		h, ok := hexLower(v)
		return Indicator{Type: ht, Value: h}, ok
	case CVE:
		c, n := cveAt(v)
		return Indicator{Type: CVE, Value: c}, n > 0 && n == len(v)
	}
	return Indicator{}, false
}

// Related returns the indicators that a normalised indicator implies, as
// Extract emits them after it: the host of a URL (a domain or an IP; for a
// Mimecast link, the domain it names), the target in its redirect
// parameter and what a link to an analysis service names, and the domain
// of an e-mail address.
// Callers of Normalize use it to record those too.
func (x *Extractor) Related(ind Indicator) []Indicator {
	switch ind.Type {
	case URL:
		if d, ok := mimecastDomain(ind.Value); ok {
			if name, ok := x.hostName([]byte(d), hostContext{}); ok {
				return []Indicator{{Type: Domain, Value: name}}
			}
			return nil
		}
		if u, ok := x.parseURL([]byte(ind.Value)); ok {
			return x.embedded(ind.Value, []Indicator{u.host})
		}
	case Email:
		if at := strings.LastIndexByte(ind.Value, '@'); at >= 0 {
			if name, ok := x.hostName([]byte(ind.Value[at+1:]), hostContext{}); ok {
				return []Indicator{{Type: Domain, Value: name}}
			}
		}
	}
	return nil
}
