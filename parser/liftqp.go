package parser

import (
	"fmt"
	"io"
	"mime/quotedprintable"
)

// decodeQP decodes a quoted-printable body to the bytes enmime makes of
// it: its cleaner (which escapes what the standard decoder would refuse),
// then mime/quotedprintable, read to the end. A body that errs is not
// lifted: enmime drops such a part with an error.
//
// Bodies whose lines stay short, nearly all of them, are decoded in one
// pass by qpLines, which gives the same bytes; the others go through the
// two readers.
func decodeQP(body []byte) ([]byte, bool) {
	if content, ok := qpLines(body); ok {
		return content, true
	}
	return decodeQPReaders(body)
}

// decodeQPReaders is decodeQP through enmime's cleaner and
// mime/quotedprintable, as enmime reads a part.
func decodeQPReaders(body []byte) ([]byte, bool) {
	content, err := io.ReadAll(quotedprintable.NewReader(&qpCleaner{in: body}))
	if err != nil {
		return nil, false
	}
	return content, true
}

// maxQPLine is the line length past which enmime's cleaner breaks a line
// with a soft break, for mime/quotedprintable's sake.
const maxQPLine = 1024

// qpCleaner behaves as enmime's QPCleaner, over a byte slice: an '=' that
// starts no escape nor soft break becomes "=3D", a byte outside printable
// ASCII (tab and line breaks apart) is escaped, and a soft break is put in
// before a line grows to maxQPLine. Its output is the same for the same
// calls to Read, down to a byte enmime's loses when a soft break fills the
// buffer given (so the reader on top must be enmime's, mime/quotedprintable
// at its buffer size): the lifted bodies are to be enmime's, byte for byte.
type qpCleaner struct {
	in       []byte
	pos      int
	overflow []byte // output that did not fit the last Read
	lineLen  int
}

func (c *qpCleaner) Read(dest []byte) (n int, err error) {
	if len(c.overflow) > 0 {
		n = copy(dest, c.overflow)
		c.overflow = c.overflow[n:]
	}
	put := func(b byte) {
		dest[n] = b
		n++
		c.lineLen++
	}
	putSafe := func(b byte) {
		if n < len(dest) {
			dest[n] = b
			n++
		} else {
			c.overflow = append(c.overflow, b)
		}
		c.lineLen++
	}
	putAll := func(bs []byte) {
		k := copy(dest[n:], bs)
		c.overflow = append(c.overflow, bs[k:]...)
		n += k
		c.lineLen += len(bs)
	}
	room := func(k int) {
		if c.lineLen+k >= maxQPLine {
			putAll(softBreak)
			c.lineLen = 0
		}
	}
	for n < len(dest) {
		if c.pos >= len(c.in) {
			return n, io.EOF
		}
		b := c.in[c.pos]
		c.pos++
		if c.lineLen >= maxQPLine {
			putAll(softBreak)
			c.lineLen = 0
			if n == len(dest) {
				break // b is lost, as in enmime
			}
		}
		switch {
		case b == '=':
			room(2)
			if qpEscapeAhead(c.in[c.pos:min(c.pos+2, len(c.in))]) {
				putSafe(b)
			} else {
				putAll(escapedEquals)
			}
		case b == '\t':
			put(b)
		case b == '\r' || b == '\n':
			put(b)
			c.lineLen = 0
		case b < ' ' || '~' < b:
			room(2)
			putAll([]byte(fmt.Sprintf("=%02X", b)))
		default:
			put(b)
		}
	}
	return n, nil
}

var (
	softBreak     = []byte("=\r\n")
	escapedEquals = []byte("=3D")
)

// qpEscapeAhead says whether the bytes after an '=' make an escape or a
// soft line break.
func qpEscapeAhead(v []byte) bool {
	if len(v) > 0 && v[0] == '\n' {
		return true
	}
	if len(v) < 2 {
		return false
	}
	if v[0] == '\r' && v[1] == '\n' {
		return true
	}
	return isHex(v[0]) && isHex(v[1])
}

func isHex(b byte) bool {
	return '0' <= b && b <= '9' || 'A' <= b && b <= 'F' || 'a' <= b && b <= 'f'
}
