package pdf

import (
	"bytes"
	"strconv"
	"unicode/utf16"

	"golang.org/x/text/encoding/charmap"
)

// contentText appends the text shown by a content stream (ISO 32000-1,
// 9.4: the operands of Tj, TJ, ' and ") to out, a text line to a line.
// The strings are read as bytes of a simple font's standard encoding, or as
// UTF-16BE when every other byte is zero; a font with its own encoding and
// a ToUnicode map shows other characters than the ones read here.
func contentText(b []byte, out *bytes.Buffer) {
	var ops [][]byte // string operands since the last operator
	var nums []float64
	line := false
	newline := func() {
		if line {
			out.WriteByte('\n')
			line = false
		}
	}
	show := func(s []byte) {
		out.WriteString(showText(s))
		line = true
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case isSpace(c):
			i++
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case c == '(':
			s, n := literal(b[i:])
			ops = append(ops, s)
			i += n
		case c == '<' && i+1 < len(b) && b[i+1] == '<', c == '>' && i+1 < len(b) && b[i+1] == '>':
			i += 2
		case c == '<':
			s, n := hexString(b[i:])
			ops = append(ops, s)
			i += n
		case c == '[':
			ops = append(ops, nil) // marks the start of a TJ array
			i++
		case c == ']':
			i++
		case c == '/':
			i++
			for i < len(b) && !isSpace(b[i]) && !isDelim(b[i]) {
				i++
			}
		case c == '-' || c == '+' || c == '.' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(b) && (b[j] == '.' || '0' <= b[j] && b[j] <= '9') {
				j++
			}
			f, _ := strconv.ParseFloat(string(b[i:j]), 64)
			nums = append(nums, f)
			// A large negative adjustment in a TJ array is a word space.
			if len(ops) > 0 && f < -200 {
				ops = append(ops, []byte{' '})
			}
			i = j
		default:
			j := i
			for j < len(b) && !isSpace(b[j]) && !isDelim(b[j]) {
				j++
			}
			if j == i {
				j++
			}
			op := string(b[i:j])
			i = j
			switch op {
			case "Tj", "TJ":
				for _, s := range ops {
					if s != nil {
						show(s)
					}
				}
			case "'", "\"":
				newline()
				for _, s := range ops {
					show(s)
				}
			case "T*", "ET", "Tm":
				newline()
			case "Td", "TD":
				if len(nums) >= 1 && nums[len(nums)-1] != 0 {
					newline()
				} else if line {
					out.WriteByte(' ')
				}
			case "BI":
				i = skipInlineImage(b, i)
			}
			ops, nums = ops[:0], nums[:0]
		}
	}
	newline()
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

// literal reads a literal string at the start of b (ISO 32000-1, 7.3.4.2):
// balanced parentheses, backslash escapes. It returns the bytes and the
// length read.
func literal(b []byte) ([]byte, int) {
	var s []byte
	depth := 0
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch c {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return s, i + 1
			}
			depth--
		case '\\':
			i++
			if i >= len(b) {
				return s, i
			}
			switch e := b[i]; e {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r', '\n':
				if e == '\r' && i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
				continue
			default:
				if '0' <= e && e <= '7' {
					v, j := 0, i
					for ; j < len(b) && j < i+3 && '0' <= b[j] && b[j] <= '7'; j++ {
						v = v*8 + int(b[j]-'0')
					}
					i = j - 1
					c = byte(v)
				} else {
					c = e
				}
			}
		}
		s = append(s, c)
	}
	return s, len(b)
}

// hexString reads <48656C6C6F> (7.3.4.3); an odd final digit counts as
// followed by 0.
func hexString(b []byte) ([]byte, int) {
	var s []byte
	var hi byte
	half := false
	for i := 1; i < len(b); i++ {
		c := b[i]
		var v byte
		switch {
		case c == '>':
			if half {
				s = append(s, hi<<4)
			}
			return s, i + 1
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			continue
		}
		if half {
			s = append(s, hi<<4|v)
		} else {
			hi = v
		}
		half = !half
	}
	return s, len(b)
}

// skipInlineImage skips the data of an inline image, BI ... ID data EI.
func skipInlineImage(b []byte, i int) int {
	j := bytes.Index(b[i:], []byte("ID"))
	if j < 0 {
		return len(b)
	}
	i += j + 2
	for {
		k := bytes.Index(b[i:], []byte("EI"))
		if k < 0 {
			return len(b)
		}
		i += k + 2
		if isSpace(b[i-3]) && (i >= len(b) || isSpace(b[i])) {
			return i
		}
	}
}

// showText turns the bytes of a shown string into text.
func showText(s []byte) string {
	if len(s) >= 2 && len(s)%2 == 0 {
		zeros := 0
		for i := 0; i < len(s); i += 2 {
			if s[i] == 0 {
				zeros++
			}
		}
		if zeros == len(s)/2 || s[0] == 0xFE && s[1] == 0xFF {
			u := make([]uint16, 0, len(s)/2)
			for i := 0; i+1 < len(s); i += 2 {
				u = append(u, uint16(s[i])<<8|uint16(s[i+1]))
			}
			if u[0] == 0xFEFF {
				u = u[1:]
			}
			return string(utf16.Decode(u))
		}
	}
	for _, c := range s {
		if c >= 0x80 {
			t, _ := charmap.Windows1252.NewDecoder().Bytes(s)
			return string(t)
		}
	}
	return string(s)
}
