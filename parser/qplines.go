package parser

import "bytes"

// qpLines decodes a quoted-printable body in one pass to the bytes that
// enmime's cleaner and mime/quotedprintable make of it, for a body whose
// lines stay short; ok is false for any other, which decodeQPReaders
// reads.
//
// Why the two are the same:
//   - While no line of the cleaner's output reaches maxQPLine, the cleaner
//     puts in no soft break and loses no byte: its output does not depend
//     on how it is read. It keeps an '=' that starts an escape or a soft
//     break (RFC 2045, 6.7), writes any other as "=3D", and escapes the
//     bytes outside printable ASCII but tab, CR and LF; the rest passes.
//   - mime/quotedprintable reads that output a line (up to LF) at a time;
//     lines under its 4096-byte buffer never fail. It strips the spaces,
//     tabs, CRs and LFs that end a line and puts back "\r\n" or "\n" as
//     the line ended, or nothing after a soft break ('=' last). Then it
//     turns "=XY" (hex, either case) into its byte.
//   - Spaces, tabs, CRs and LFs pass the cleaner unchanged, and what it
//     escapes ends in a hex digit, so the trailing blanks stripped are the
//     raw line's own. A line's last kept '=' before them is a soft break:
//     the cleaner keeps it only before LF or CRLF. Every other '=' of the
//     cleaner's output starts an escape, its own (undone to the raw byte)
//     or one of the body's, kept with its two hex digits. So the output is
//     the raw line with its escapes decoded, every other byte as it is.
//   - mime/quotedprintable refuses only bytes the cleaner escapes, and an
//     '=' without two hex digits before a line end, which the cleaner does
//     not keep: a short-lined body never errs.
func qpLines(body []byte) ([]byte, bool) {
	out := make([]byte, 0, len(body))
	for len(body) > 0 {
		n := bytes.IndexByte(body, '\n') + 1
		if n == 0 {
			n = len(body)
		}
		// The cleaner's output is at most three bytes a byte: a line that
		// short needs no counting.
		if 3*n >= maxQPLine-3 && !qpShort(body[:n]) {
			return nil, false
		}
		out = qpLine(out, body[:n])
		body = body[n:]
	}
	return out, true
}

// qpShort says whether the cleaner's output of a line stays short of its
// soft breaks and of mime/quotedprintable's buffer.
func qpShort(line []byte) bool {
	// col is the length of the cleaner's current line, which CR or LF
	// ends; row is that of the decoder's, which only LF ends.
	col, row := 0, 0
	for i, b := range line {
		// The cleaner breaks a line when an escape would take it to
		// maxQPLine (at a column of maxQPLine-2 or more); a little short
		// of that is left to the readers.
		if col >= maxQPLine-3 || row >= 4000 {
			return false
		}
		switch {
		case b == '\r':
			col = 0
			row++
		case b == '=' && !qpEscapeAhead(line[i+1:min(i+3, len(line))]):
			col, row = col+3, row+3
		case b == '\t' || ' ' <= b && b <= '~':
			col, row = col+1, row+1
		default:
			col, row = col+3, row+3
		}
	}
	return true
}

// qpLine appends the decoding of one raw line, its LF included if it has
// one.
func qpLine(out, line []byte) []byte {
	end := len(line)
	for end > 0 && (line[end-1] == ' ' || line[end-1] == '\t' || line[end-1] == '\r' || line[end-1] == '\n') {
		end--
	}
	var tail string
	switch {
	case end > 0 && line[end-1] == '=' && qpEscapeAhead(line[end:min(end+2, len(line))]):
		end-- // a soft break
	case len(line) >= 2 && line[len(line)-2] == '\r' && line[len(line)-1] == '\n':
		tail = "\r\n"
	case len(line) >= 1 && line[len(line)-1] == '\n':
		tail = "\n"
	}
	for v := line[:end]; len(v) > 0; {
		i := bytes.IndexByte(v, '=')
		if i < 0 {
			out = append(out, v...)
			break
		}
		out = append(out, v[:i]...)
		if i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
			out = append(out, unhex(v[i+1])<<4|unhex(v[i+2]))
			v = v[i+3:]
		} else {
			out = append(out, '=')
			v = v[i+1:]
		}
	}
	return append(out, tail...)
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
