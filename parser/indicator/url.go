package indicator

import (
	"bytes"
	"net/netip"
	"strconv"
)

// maxURL caps a URL indicator. Browsers and the STIX and MISP consumers of
// the feeds cope with 2,048 bytes; beyond that a URL is almost always a
// tracking link whose query is noise.
const maxURL = 2048

// schemes are the URL schemes that make an indicator: the ones phishing and
// malware delivery use. Others (tcp://, file://, mailto:) are not fetched
// from a mail and are left out.
var schemes = [...]string{"https", "http", "sftp", "ftps", "ftp"}

// schemeBefore returns the scheme that ends b, as in "http" for the run
// "Linkhttp" that a missing space after a link's text leaves.
func schemeBefore(b []byte) string {
	for _, s := range schemes {
		if len(b) >= len(s) && hasPrefixFold(b[len(b)-len(s):], s) {
			return s
		}
	}
	return ""
}

// parsedURL is a URL split as RFC 3986 section 3 does, with its host
// validated.
type parsedURL struct {
	scheme   string
	userinfo []byte    // up to and with the '@', or empty
	host     Indicator // the host as a domain, ipv4 or ipv6 indicator
	hostText string    // the host as written in the normalised URL
	port     []byte    // with the ':', or empty
	rest     []byte    // path, query and fragment
}

// parseURL splits b, which must start with a scheme of schemes and "://",
// and validates its host. Hosts that are not indicators (private IPs,
// names without a public suffix, excluded domains) fail it.
func (x *Extractor) parseURL(b []byte) (parsedURL, bool) {
	var u parsedURL
	i := bytes.Index(b, []byte("://"))
	if i < 0 || i > len("https") {
		return u, false
	}
	for _, s := range schemes {
		if len(s) == i && hasPrefixFold(b, s) {
			u.scheme = s
		}
	}
	if u.scheme == "" {
		return u, false
	}
	b = b[i+3:]
	end := len(b)
	for j, c := range b {
		if c == '/' || c == '?' || c == '#' {
			end = j
			break
		}
	}
	auth := b[:end]
	u.rest = b[end:]
	if at := bytes.LastIndexByte(auth, '@'); at >= 0 {
		u.userinfo, auth = auth[:at+1], auth[at+1:]
	}
	hostb := auth
	if len(auth) > 0 && auth[0] == '[' {
		// RFC 3986 section 3.2.2: an IPv6 literal is bracketed.
		j := bytes.IndexByte(auth, ']')
		if j < 0 {
			return u, false
		}
		hostb, u.port = auth[1:j], auth[j+1:]
		a, ok := parseIP(hostb)
		if !ok || a.Is4() {
			return u, false
		}
		ind, ok := ipIndicator(a)
		if !ok {
			return u, false
		}
		u.host, u.hostText = ind, "["+ind.Value+"]"
	} else {
		if j := bytes.IndexByte(auth, ':'); j >= 0 {
			hostb, u.port = auth[:j], auth[j:]
		}
		if ind, ok := x.urlHost(hostb); ok {
			u.host, u.hostText = ind, ind.Value
		} else {
			return u, false
		}
	}
	if len(u.port) > 0 {
		p := u.port[1:]
		if len(p) == 0 {
			u.port = nil // "http://example.com:/" means the default port
		} else if n, err := strconv.Atoi(string(p)); err != nil || len(p) > 5 || n < 1 || n > 65535 || p[0] == '+' || p[0] == '-' {
			return u, false
		}
	}
	return u, true
}

// urlHost validates the host of a URL: a dotted quad or a domain name.
func (x *Extractor) urlHost(b []byte) (Indicator, bool) {
	allIP := len(b) > 0
	for _, c := range b {
		if class[c]&cNonIP != 0 {
			allIP = false
			break
		}
	}
	if allIP {
		a, ok := parseIPv4(b)
		if !ok {
			if a, ok = numericHost(b); !ok {
				return Indicator{}, false
			}
		}
		return ipIndicator(a)
	}
	if a, ok := numericHost(b); ok {
		return ipIndicator(a)
	}
	name, ok := x.hostName(b, hostContext{})
	return Indicator{Type: Domain, Value: name}, ok
}

// String returns the normalised URL: lower-case scheme and host, canonical
// IP, no empty port, and the bytes that RFC 3986 does not allow in a URI
// percent-encoded. If it is longer than maxURL the query and fragment go;
// if it is still too long, ok is false.
func (u *parsedURL) String() (s string, ok bool) {
	n := len(u.scheme) + 3 + len(u.userinfo) + len(u.hostText) + len(u.port) + len(u.rest)
	if n > 4*maxURL {
		return "", false
	}
	buf := make([]byte, 0, n+8)
	buf = append(buf, u.scheme...)
	buf = append(buf, "://"...)
	buf = appendEscaped(buf, u.userinfo)
	buf = append(buf, u.hostText...)
	buf = append(buf, u.port...)
	head := len(buf)
	buf = appendEscaped(buf, u.rest)
	if len(buf) > maxURL {
		if i := bytes.IndexAny(buf[head:], "?#"); i >= 0 {
			buf = buf[:head+i]
		}
		if len(buf) > maxURL {
			return "", false
		}
	}
	return string(buf), true
}

const hexDigits = "0123456789ABCDEF"

// appendEscaped appends b percent-encoding what a URI cannot hold (RFC 3986
// section 2.1): spaces, controls, the excluded ASCII and invalid UTF-8,
// and non-ASCII runes other than letters, marks and digits. Letters stay
// as they are (an IRI, RFC 3987), as text shows them.
func appendEscaped(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			if class[c]&cURL != 0 {
				dst = append(dst, c)
			} else {
				dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			continue
		}
		size, ok := wordRune(b[i:])
		if ok {
			dst = append(dst, b[i:i+size]...)
		} else {
			for _, c := range b[i : i+size] {
				dst = append(dst, '%', hexDigits[c>>4], hexDigits[c&15])
			}
		}
		i += size
	}
	return dst
}

// normalizeURL normalises and unwraps the URL b. It returns the final URL
// and its parts.
func (x *Extractor) normalizeURL(b []byte, depth int) (string, parsedURL, bool) {
	u, ok := x.parseURL(b)
	if !ok {
		return "", u, false
	}
	return x.normalizeParsed(u, depth)
}

// normalizeParsed is normalizeURL after parsing.
func (x *Extractor) normalizeParsed(u parsedURL, depth int) (string, parsedURL, bool) {
	s, ok := u.String()
	if !ok {
		return "", u, false
	}
	if depth < maxUnwrap {
		if t, ok := unwrapOnce(s); ok {
			// The target is trimmed as if it were in text, so that it
			// reads the same whether it came wrapped or written out.
			if ts, tu, ok := x.normalizeURL(trimURL([]byte(t)), depth+1); ok {
				return ts, tu, true
			}
		}
	}
	return s, u, true
}

// trimURL drops the punctuation that prose puts after a URL: a full stop,
// a comma, a closing quote or bracket. A closing parenthesis or bracket
// stays when the URL opened it, as in
// https://en.wikipedia.org/wiki/Hospital_(disambiguation).
func trimURL(b []byte) []byte {
	var paren, square int // opened minus closed
	for _, c := range b {
		switch c {
		case '(':
			paren++
		case ')':
			paren--
		case '[':
			square++
		case ']':
			square--
		}
	}
	for len(b) > 0 {
		c := b[len(b)-1]
		if class[c]&cTrailing == 0 {
			break
		}
		switch c {
		case ')':
			if paren >= 0 {
				return b
			}
			paren++
		case ']':
			if square >= 0 {
				return b
			}
			square++
		}
		b = b[:len(b)-1]
	}
	return b
}

// numericHost reads an IPv4 address written as one number, decimal
// ("134744072") or hexadecimal ("0x08080808"), as browsers read a URL's
// host (WHATWG URL, IPv4 parser): phish use them to hide the address.
func numericHost(b []byte) (netip.Addr, bool) {
	base := uint64(10)
	digits := b
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		base, digits = 16, b[2:]
	}
	if len(digits) == 0 || len(digits) > 10 {
		return netip.Addr{}, false
	}
	var v uint64
	for _, c := range digits {
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case base == 16 && 'a' <= lower(c) && lower(c) <= 'f':
			d = uint64(lower(c)-'a') + 10
		default:
			return netip.Addr{}, false
		}
		v = v*base + d
	}
	// Below 2^24 a number is more often a port or an id than an address.
	if v > 0xFFFFFFFF || v < 1<<24 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}
