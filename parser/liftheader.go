package parser

import "bytes"

// plainHeader reads a part header of the plainest kind for its
// Content-Type and Content-Transfer-Encoding, as enmime's ReadHeader
// gives them, and says whether enmime would read it without a complaint;
// ok is false for a header of any other kind, left to ReadHeader.
//
// The kind: lines of printable ASCII, spaces and tabs, each ended by LF or
// CRLF, up to a blank line that ends the input; each a field whose name,
// up to the first colon, is a letter then letters, digits and dashes, or
// (after the first) a continuation, which starts with a space or a tab.
// ReadHeader complains only of names that start with a colon, hold bytes
// outside a token, or lines that are neither field nor continuation. It
// writes each field trimmed, its continuations after it trimmed, a space
// before each, and hands that to its MIME header reader, which takes the
// first value of each name (its case aside), trimmed after the colon.
func plainHeader(b []byte) (ctype, cte string, ok bool) {
	var ct, te []byte // the fields as ReadHeader writes them
	var cont *[]byte  // the field that a continuation goes on
	first := true
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return "", "", false
		}
		line := b[:i]
		b = b[i+1:]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			if len(b) > 0 {
				return "", "", false
			}
			return fieldValue(ct), fieldValue(te), true
		}
		for _, c := range line {
			if c < ' ' && c != '\t' || c > '~' {
				return "", "", false
			}
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first {
				return "", "", false
			}
			if cont != nil {
				*cont = append(append(*cont, ' '), bytes.Trim(line, " \t")...)
			}
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isLetter(line[0]) {
			return "", "", false
		}
		for _, c := range line[1:colon] {
			if !isLetter(c) && !('0' <= c && c <= '9') && c != '-' {
				return "", "", false
			}
		}
		first, cont = false, nil
		name, field := line[:colon], bytes.TrimRight(line, " \t")
		switch {
		case ct == nil && bytes.EqualFold(name, []byte("Content-Type")):
			ct, cont = append([]byte(nil), field...), &ct
		case te == nil && bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
			te, cont = append([]byte(nil), field...), &te
		}
	}
	return "", "", false
}

// fieldValue is the value of a field as written, "" for none.
func fieldValue(field []byte) string {
	_, v, _ := bytes.Cut(bytes.TrimRight(field, " \t"), []byte(":"))
	return string(bytes.TrimLeft(v, " \t"))
}

func isLetter(c byte) bool {
	c |= 0x20
	return 'a' <= c && c <= 'z'
}
