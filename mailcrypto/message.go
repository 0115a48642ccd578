package mailcrypto

import (
	"bytes"
	"errors"
	"mime"
	"strings"
)

// field is one header field as written: its name and its whole text,
// folding included, ending in CRLF.
type field struct {
	name string // canonical case: "Content-Type"
	raw  []byte
}

func (f field) value() string {
	_, v, _ := strings.Cut(string(f.raw), ":")
	v = strings.ReplaceAll(v, "\r\n", "")
	v = strings.ReplaceAll(v, "\n", "")
	return strings.TrimSpace(v)
}

// entity is a message or a body part split at its blank line.
type entity struct {
	header []field
	body   []byte
}

// splitEntity splits raw bytes at the first empty line. Lines may end in
// LF alone (files); canonical CRLF is what crypto works on (RFC 3156
// section 5), so callers pass canonical text.
func splitEntity(raw []byte) (entity, error) {
	var e entity
	rest := raw
	for len(rest) > 0 {
		if bytes.HasPrefix(rest, []byte("\r\n")) {
			e.body = rest[2:]
			return e, nil
		}
		if bytes.HasPrefix(rest, []byte("\n")) {
			e.body = rest[1:]
			return e, nil
		}
		// One field: its first line and the continuation lines.
		end := 0
		for {
			nl := bytes.IndexByte(rest[end:], '\n')
			if nl < 0 {
				end = len(rest)
				break
			}
			end += nl + 1
			if end >= len(rest) || (rest[end] != ' ' && rest[end] != '\t') {
				break
			}
		}
		line := rest[:end]
		rest = rest[end:]
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t\r\n") {
			if len(e.header) == 0 {
				return e, errors.New("not a mail: no header field on the first line")
			}
			// A broken line inside the header: kept with the field above,
			// as lenient readers do.
			e.header[len(e.header)-1].raw = append(e.header[len(e.header)-1].raw, line...)
			continue
		}
		e.header = append(e.header, field{name: canonicalName(string(name)), raw: bytes.Clone(line)})
	}
	return e, nil
}

func canonicalName(s string) string {
	parts := strings.Split(strings.ToLower(s), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	n := strings.Join(parts, "-")
	if n == "Message-Id" {
		n = "Message-ID"
	}
	if n == "Mime-Version" {
		n = "MIME-Version"
	}
	return n
}

func (e entity) get(name string) string {
	for _, f := range e.header {
		if f.name == name {
			return f.value()
		}
	}
	return ""
}

// mediaType is the entity's Content-Type, text/plain when it has none
// (RFC 2045 section 5.2).
func (e entity) mediaType() (string, map[string]string) {
	ct := e.get("Content-Type")
	if ct == "" {
		return "text/plain", map[string]string{}
	}
	t, p, err := mime.ParseMediaType(ct)
	if err != nil {
		// A broken parameter list still says what the part is.
		t, _, _ = strings.Cut(ct, ";")
		return strings.ToLower(strings.TrimSpace(t)), map[string]string{}
	}
	return t, p
}

// isContent reports whether a field describes the body (it moves into the
// signed or encrypted part) rather than the message.
func isContent(name string) bool {
	return strings.HasPrefix(name, "Content-")
}

// crlf puts text in canonical form: every line ends in CRLF.
func crlf(b []byte) []byte {
	if !bytes.Contains(b, []byte("\n")) {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/40)
	for len(b) > 0 {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			out.Write(b)
			break
		}
		line := b[:nl]
		line = bytes.TrimSuffix(line, []byte("\r"))
		out.Write(line)
		out.WriteString("\r\n")
		b = b[nl+1:]
	}
	return out.Bytes()
}

// parts splits a multipart body at boundary and returns each part's exact
// bytes: from after the CRLF that ends a delimiter line to before the CRLF
// that starts the next (RFC 2046 section 5.1.1). The signed part of a
// multipart/signed is verified over exactly these bytes.
func parts(body []byte, boundary string) ([][]byte, error) {
	if boundary == "" {
		return nil, errors.New("multipart without a boundary")
	}
	delim := []byte("--" + boundary)
	var out [][]byte
	// The first delimiter may start the body; every other follows a CRLF.
	pos := -1
	if bytes.HasPrefix(body, delim) {
		pos = 0
	} else if i := bytes.Index(body, append([]byte("\r\n"), delim...)); i >= 0 {
		pos = i + 2
	}
	if pos < 0 {
		return nil, errors.New("no part starts with the boundary")
	}
	for {
		after := body[pos+len(delim):]
		if bytes.HasPrefix(after, []byte("--")) {
			return out, nil // the close delimiter
		}
		// The rest of the delimiter line (transport padding) is not part
		// of the content.
		nl := bytes.Index(after, []byte("\r\n"))
		if nl < 0 {
			return out, errors.New("the multipart ends inside a delimiter line (truncated)")
		}
		start := pos + len(delim) + nl + 2
		next := nextDelimiter(body[start:], delim)
		if next < 0 {
			// No close delimiter: truncated. What there is still counts as
			// a part, but the caller learns it is cut.
			out = append(out, body[start:])
			return out, errors.New("the multipart has no closing boundary (truncated)")
		}
		out = append(out, body[start:start+next])
		pos = start + next + 2
		if len(out) > 100 {
			return out, errors.New("too many parts")
		}
	}
}

// nextDelimiter finds the CRLF that starts the next delimiter line: the
// boundary followed by "--", white space or the line end, so that a
// boundary that is a prefix of a longer line is not taken for one.
func nextDelimiter(b, delim []byte) int {
	at := 0
	for {
		i := bytes.Index(b[at:], append([]byte("\r\n"), delim...))
		if i < 0 {
			return -1
		}
		end := at + i + 2 + len(delim)
		if end >= len(b) || b[end] == '-' || b[end] == '\r' || b[end] == ' ' || b[end] == '\t' {
			return at + i
		}
		at += i + 2
	}
}
