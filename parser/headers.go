package parser

import (
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"
)

// headerText decodes RFC 2047 encoded-words and folds the value onto one
// line: a header value never carries CR or LF out of the parser.
func headerText(v string) string {
	v = enmime.DecodeRFC2047(v)
	v = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		if r == 0 {
			return -1
		}
		return r
	}, v)
	return strings.TrimSpace(strings.Join(strings.Fields(v), " "))
}

// address reads one mailbox, as leniently as real mail needs: a display
// name with unquoted commas, a bare address, an address in angle brackets
// after garbage. It returns the lower-cased address and the display name.
func address(v string) (addr, name string) {
	v = headerText(v)
	if v == "" {
		return "", ""
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return strings.ToLower(a.Address), a.Name
	}
	if i := strings.LastIndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			a := strings.TrimSpace(v[i+1 : i+j])
			if strings.Contains(a, "@") {
				return strings.ToLower(a), strings.Trim(strings.TrimSpace(v[:i]), `"' `)
			}
		}
	}
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, `<>"',;()`)
		if strings.Count(f, "@") == 1 && !strings.HasPrefix(f, "@") && !strings.HasSuffix(f, "@") {
			return strings.ToLower(f), ""
		}
	}
	return "", v
}

// fromField reads the From field (RFC 5322 section 3.6.2) and says why it
// names no one sender, if it does not: two From fields, several mailboxes
// in one, or an encoded-word whose decoded text is an address. The last is
// a forgery's trick ("=?utf-8?q?Alex_=3Calex=40volunteers=2Eexample=3E?="):
// decoding before parsing would read the hidden address as the sender's.
// An address is read from the field as written; encoded-words only ever
// make a display name.
func fromField(values []string) (addr, name, problem string) {
	if len(values) == 0 {
		return "", "", ""
	}
	if len(values) > 1 {
		problem = fmt.Sprintf("%d From fields", len(values))
	}
	raw := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r == 0 {
			return -1
		}
		return r
	}, values[0])), " ")
	if list, err := mail.ParseAddressList(raw); err == nil && len(list) > 0 {
		if len(list) > 1 && problem == "" {
			problem = fmt.Sprintf("%d addresses in From", len(list))
		}
		addr, name = strings.ToLower(list[0].Address), list[0].Name
	} else {
		// Not RFC 5322: read the address leniently from the undecoded
		// text, then the name from the decoded one.
		addr, _ = address(stripEncodedWords(raw))
		_, name = address(raw)
		if name == "" {
			name = strings.TrimSpace(headerText(raw))
		}
	}
	if strings.Contains(raw, "=?") && problem == "" {
		if dec := headerText(raw); strings.Count(dec, "@") > strings.Count(raw, "@") {
			problem = "an encoded-word in From hides an address"
		}
	}
	return addr, name, problem
}

// stripEncodedWords blanks the RFC 2047 encoded-words of a header value.
func stripEncodedWords(v string) string {
	for {
		i := strings.Index(v, "=?")
		if i < 0 {
			return v
		}
		j := strings.Index(v[i+2:], "?=")
		if j < 0 {
			return v
		}
		v = v[:i] + " " + v[i+2+j+2:]
	}
}

// addressList reads every address of the given fields.
func addressList(h textproto.MIMEHeader, keys ...string) []string {
	var out []string
	for _, k := range keys {
		for _, v := range h.Values(k) {
			v = headerText(v)
			if list, err := mail.ParseAddressList(v); err == nil {
				for _, a := range list {
					out = append(out, strings.ToLower(a.Address))
				}
				continue
			}
			for _, part := range strings.Split(v, ",") {
				if a, _ := address(part); a != "" {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// messageIDs reads the <id> tokens of Message-ID, In-Reply-To and
// References, without their angle brackets.
func messageIDs(v string) []string {
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(v[i+1 : i+j]); id != "" && !strings.ContainsAny(id, " \t\r\n") {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
	if len(ids) == 0 {
		// Some clients write the id without brackets.
		if f := strings.Fields(v); len(f) == 1 && strings.Contains(f[0], "@") {
			ids = append(ids, f[0])
		}
	}
	return ids
}

func firstID(v string) string {
	if ids := messageIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// mailDate reads the Date field, falling back to the newest Received
// line's date, which the receiving server wrote and is harder to fake.
func mailDate(h textproto.MIMEHeader) time.Time {
	if t, err := mail.ParseDate(headerText(h.Get("Date"))); err == nil {
		return t.UTC()
	}
	if r := h.Get("Received"); r != "" {
		if i := strings.LastIndexByte(r, ';'); i >= 0 {
			if t, err := mail.ParseDate(strings.TrimSpace(r[i+1:])); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// receivedFrom returns the host names and IP addresses of the "from" clause
// of one Received field (RFC 5321 section 4.4): the relay that handed the
// mail on, as it named itself and as the receiver saw it.
//
//	from mail.evil.example (unknown [203.0.113.7]) by mx.hospital.example ...
func receivedFrom(v string) []string {
	v = headerText(v)
	lower := strings.ToLower(v)
	start := strings.Index(lower, "from ")
	if start != 0 && start > 0 && lower[start-1] != ' ' {
		start = -1
	}
	if start < 0 {
		return nil
	}
	clause := v[start+5:]
	// The clause ends at the next keyword of the Received grammar.
	end := len(clause)
	lc := strings.ToLower(clause)
	for _, kw := range []string{" by ", " via ", " with ", " id ", " for ", ";"} {
		if i := strings.Index(lc, kw); i >= 0 && i < end {
			end = i
		}
	}
	clause = clause[:end]
	var out []string
	for _, f := range strings.FieldsFunc(clause, func(r rune) bool {
		return r == ' ' || r == '(' || r == ')' || r == '[' || r == ']' || r == '=' || r == ','
	}) {
		f = strings.Trim(f, ".:;<>\"'")
		if strings.HasPrefix(strings.ToLower(f), "ipv6:") {
			f = f[5:]
		}
		if f == "" || strings.EqualFold(f, "helo") || strings.EqualFold(f, "ehlo") || strings.EqualFold(f, "unknown") {
			continue
		}
		out = append(out, f)
	}
	return out
}
