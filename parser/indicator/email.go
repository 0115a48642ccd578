package indicator

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// maxLocal is RFC 5321 section 4.5.3.1.1's limit on a local part.
const maxLocal = 64

// localStart walks back from the '@' at b[at] over the characters of a
// local part (RFC 5322 dot-atom, and letters for RFC 6531 addresses), at
// most maxLocal bytes, and returns where the local part starts. Leading
// punctuation that a local part may hold but text puts before an address
// (quotes, '=', '/') is not part of it.
func localStart(b []byte, at int) int {
	i := at
	for i > 0 && at-i < maxLocal {
		c := b[i-1]
		if c < 0x80 {
			if class[c]&cAtext == 0 {
				break
			}
			i--
			continue
		}
		r, size := utf8.DecodeLastRune(b[:i])
		if r == utf8.RuneError || at-i+size > maxLocal {
			break
		}
		if _, ok := wordRune(b[i-size : i]); !ok {
			break
		}
		i -= size
	}
	i = skipLeadingPunct(b, i, at)
	// Authentication-Results (RFC 8601 section 2.2) writes
	// "smtp.mailfrom=user@example.com": a property name with a dot, then
	// '='. A local part may hold '=' too (SRS, "dept=shipping"), but not
	// after a dotted word. The leading punctuation is skipped first, so
	// that the same local part is found whatever precedes it.
	if eq := bytes.IndexByte(b[i:at], '='); eq > 0 && bytes.IndexByte(b[i:i+eq], '.') > 0 {
		i = skipLeadingPunct(b, i+eq+1, at)
	}
	return i
}

func skipLeadingPunct(b []byte, i, at int) int {
	for i < at && b[i] < 0x80 && !isAlnum(b[i]) && b[i] != '_' {
		i++
	}
	return i
}

// validLocal checks a local part as localStart delimits it: dot-atom
// (RFC 5322 section 3.4.1), so no leading, trailing or doubled dot.
func validLocal(l []byte) bool {
	if len(l) == 0 || len(l) > maxLocal || l[0] == '.' || l[len(l)-1] == '.' {
		return false
	}
	if l[0] < 0x80 && !isAlnum(l[0]) && l[0] != '_' {
		return false
	}
	for i := 0; i < len(l); {
		c := l[i]
		if c < 0x80 {
			if class[c]&cAtext == 0 || c == '.' && l[i+1] == '.' {
				return false
			}
			i++
			continue
		}
		size, ok := wordRune(l[i:])
		if !ok {
			return false
		}
		i += size
	}
	return true
}

// emailValue returns the normalised address: lower-cased as a whole. RFC
// 5321 lets a server tell local parts by case, but no mail system in use
// does, and feeds must not hold the same address twice.
func emailValue(local []byte, domain string) string {
	return strings.ToLower(string(local)) + "@" + domain
}
