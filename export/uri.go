package export

import (
	"regexp"
	"strings"
)

// placeholders are the merge fields of mail templates that phish kits and
// bulk senders leave in links when they forget to fill them: %EMAIL%,
// {{email}}, *|EMAIL|*, [[name]], ##EMAIL##, [open]. They are not part of
// any URL a victim received, and no two victims' links share them.
var placeholders = regexp.MustCompile(`%[A-Z][A-Z0-9_]*%|\{\{[^{}]{1,40}\}\}|\*\|[A-Za-z0-9_]{1,40}\|\*|\[\[[^\[\]]{1,40}\]\]|##[A-Za-z][A-Za-z0-9_]*##|\[[A-Za-z][A-Za-z0-9_ -]{0,30}\]`)

// uriValue returns a URL in the form STIX's url:value requires (RFC 3986):
// template placeholders left out, and every character a URI cannot hold
// percent-encoded as UTF-8: spaces, '[' and ']' outside an IPv6 host, a
// '%' not followed by two hex digits, a second '#', non-ASCII letters.
// The parser already wrote the host as an A-label.
func uriValue(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		head, tail := u[:i+3+end], rest[end:]
		tail = placeholders.ReplaceAllString(tail, "")
		return head + escapeTail(tail)
	}
	return escapeTail(placeholders.ReplaceAllString(u, ""))
}

// escapeTail encodes a URL's path, query and fragment.
func escapeTail(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	fragment := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		case c == '#' && !fragment:
			fragment = true
			b.WriteByte(c)
		case c < 0x80 && uriChar(c):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}

// uriChar says whether an ASCII byte may stand as it is in a URI's path,
// query or fragment (RFC 3986 section 3.3 to 3.5: unreserved, sub-delims,
// ':', '@', '/', '?'). '#' and '%' are handled by the caller.
func uriChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// exportValue is the value an indicator is published under.
func exportValue(typ, value string) string {
	if typ == "url" {
		return uriValue(value)
	}
	return value
}
