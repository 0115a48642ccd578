package tnef

import (
	"bytes"

	"golang.org/x/text/encoding/unicode"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

var utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)

// text is a string as the stream holds it: 8-bit in a code page that may
// only be known once the stream has been read (PidTagMessageCodepage comes
// in attMAPIProps, after attSubject and attBody), or UTF-16LE.
type text struct {
	b       []byte
	unicode bool
}

func (t text) empty() bool { return len(t.b) == 0 }

// decode returns t as UTF-8, up to its first NUL: strings in TNEF are
// NUL-terminated, and some writers leave garbage after the terminator.
func (t text) decode(cp uint32) string {
	if t.unicode {
		b := t.b
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				b = b[:i]
				break
			}
		}
		out, err := utf16LE.NewDecoder().Bytes(b)
		if err != nil {
			return ""
		}
		return string(out)
	}
	b := t.b
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return codepage.Decode(b, int(cp))
}
