package indicator

import (
	"unicode"
	"unicode/utf8"
)

// Byte classes, looked up once per byte so that the scanner's inner loops
// branch on a table rather than on character ranges.
const (
	cHost     = 1 << iota // letter, digit, '-', '_', '.': part of a host-name run
	cDot                  // '.'
	cNonHex               // not a hexadecimal digit
	cNonIP                // neither a decimal digit nor '.'
	cURL                  // RFC 3986 section 2: unreserved, reserved, and '%'
	cAtext                // RFC 5322 section 3.2.3 atext, and '.'
	cAlnum                // letter or digit
	cTrailing             // punctuation that prose puts after a URL
)

// refangStart marks the bytes that may start or end a defanging marker.
var refangStart [256]bool

var class [256]uint8

func init() {
	for c := 0; c < 256; c++ {
		var k uint8
		isLetter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		isDigit := '0' <= c && c <= '9'
		isHex := isDigit || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
		if isLetter || isDigit {
			k |= cHost | cAlnum | cURL | cAtext
		}
		if !isHex {
			k |= cNonHex
		}
		if !isDigit && c != '.' {
			k |= cNonIP
		}
		switch c {
		case '-', '_':
			k |= cHost
		case '.':
			k |= cHost | cDot
		}
		if c < 0x80 && isURLPunct(byte(c)) {
			k |= cURL
		}
		if c < 0x80 && isAtextPunct(byte(c)) {
			k |= cAtext
		}
		switch c {
		case '.', ',', ';', ':', '!', '?', '\'', '"', ')', ']', '}', '>', '*':
			k |= cTrailing
		}
		class[c] = k
	}
	for _, c := range []byte("[({])}hHfF.:") {
		refangStart[c] = true
	}
}

func isURLPunct(c byte) bool {
	for i := 0; i < len(urlPunct); i++ {
		if urlPunct[i] == c {
			return true
		}
	}
	return false
}

func isAtextPunct(c byte) bool {
	for i := 0; i < len(atextPunct); i++ {
		if atextPunct[i] == c {
			return true
		}
	}
	return false
}

// urlPunct is RFC 3986's unreserved and reserved punctuation, plus '%' for
// percent-encoding. It leaves out '"', '<', '>', '\\', '^', '`', '{', '|',
// '}' and space, which are not allowed in a URI and end it in text.
const urlPunct = "-._~:/?#[]@!$&'()*+,;=%"

// atextPunct is RFC 5322's atext punctuation, with the dots of dot-atom.
const atextPunct = "!#$%&'*+-/=?^_`{|}~."

// wordRune reports whether a non-ASCII rune can be part of a host name, a
// local part or a URL in text: letters, marks and digits. Spaces such as
// U+00A0 and punctuation such as '»' or '。' end a token.
func wordRune(b []byte) (size int, ok bool) {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError {
		return size, false
	}
	return size, unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// urlRune reports whether a non-ASCII rune can be part of a URL in text:
// a wordRune, or a symbol (IRIs with ✪ or ☺ in them exist; RFC 3987).
func urlRune(b []byte) (size int, ok bool) {
	r, size := utf8.DecodeRune(b)
	if r == utf8.RuneError {
		return size, false
	}
	return size, unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.Is(unicode.So, r)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isAlnum(c byte) bool { return class[c]&cAlnum != 0 }

func isHexDigit(c byte) bool { return class[c]&cNonHex == 0 }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hasPrefixFold reports whether b starts with the lower-case ASCII prefix p,
// ignoring case.
func hasPrefixFold(b []byte, p string) bool {
	if len(b) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lower(b[i]) != p[i] {
			return false
		}
	}
	return true
}
