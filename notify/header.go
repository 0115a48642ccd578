package notify

import (
	"bytes"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// HeaderText makes s safe as the body of an unstructured header field
// (RFC 5322 section 2.2.1), such as a Subject built from a reporter's
// subject. CR, LF and every other control or line-breaking character
// become a space, so that no value can end its field and start another;
// runs of white space collapse to one; "=?" becomes "= ?". Text that is
// not plain ASCII is encoded as RFC 2047 Q encoded words.
func HeaderText(s string) string {
	var b strings.Builder
	space := false
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				r = '\uFFFD' // invalid UTF-8 would be undecodable downstream
			}
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	// "=?" would let a client decode an encoded word of the reporter's
	// making (and show a line break in it); a space keeps it literal.
	out := strings.ReplaceAll(b.String(), "=?", "= ?")
	if !isASCII(out) {
		out = mime.QEncoding.Encode("utf-8", out)
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// address checks one mail address for an envelope or a header: a single
// plain address, ASCII only (we do not ask for SMTPUTF8), without any
// character that could break a line or a command.
func address(a string) (string, error) {
	a = strings.TrimSpace(a)
	if a == "" {
		return "", fmt.Errorf("empty address")
	}
	if strings.ContainsAny(a, "\r\n\x00<>,; \t\"") || !isASCII(a) {
		return "", fmt.Errorf("address %q: not a plain ASCII address", a)
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || strings.Count(a, "@") != 1 {
		return "", fmt.Errorf("address %q: not a valid address", a)
	}
	return a, nil
}

// messageID checks a Message-ID, angle brackets included: printable ASCII
// with one "@" and no space, bracket or line break. Ids from reporters'
// mails (In-Reply-To, References) that fail are dropped, not repaired.
func messageID(id string) bool {
	if len(id) < 5 || len(id) > 250 || id[0] != '<' || id[len(id)-1] != '>' {
		return false
	}
	in := id[1 : len(id)-1]
	for i := 0; i < len(in); i++ {
		if c := in[i]; c <= ' ' || c > '~' || c == '<' || c == '>' {
			return false
		}
	}
	return strings.Count(in, "@") == 1 && !strings.HasPrefix(in, "@") && !strings.HasSuffix(in, "@")
}

// writeField writes one header field, folded at spaces so that lines stay
// under 78 characters where the words allow (RFC 5322 section 2.2.3).
// value must already be safe: from HeaderText, address or messageID.
func writeField(b *bytes.Buffer, name, value string) {
	// Defence in depth: a value that reached here unchecked still cannot
	// break the line.
	value = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, value)
	line := name + ":"
	for i, w := range strings.Split(value, " ") {
		if i > 0 && w == "" {
			continue
		}
		if len(line)+1+len(w) > 76 && strings.TrimSpace(line) != name+":" {
			b.WriteString(line)
			b.WriteString("\r\n")
			line = ""
		}
		line += " " + w
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
