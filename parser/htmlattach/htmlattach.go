// Package htmlattach implements reading HTML files attached to mails: the
// saved fake login pages and the "HTML smuggling" droppers of phishing.
//
// Such a page hides where it sends its victim from a reader of its text:
// in a form's action, a meta refresh, a script that sets window.location,
// or a payload carried as base64 in atob("...") or a data: URI that the
// browser decodes. Read returns all of these, and reads each payload one
// level deep: a payload's own payloads are not decoded, so a page cannot
// make the reader work without end.
package htmlattach

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Bounds of one document; a page over them is read up to them.
const (
	maxLinks    = 5000
	maxPayloads = 64
	// maxScript is the most bytes of one script searched for literals.
	maxScript = 4 << 20
)

// Link is a place the page sends its reader to, as written.
type Link struct {
	URL string
	// Kind says where the link was found: href, src, action, meta-refresh,
	// location (a script assigning window.location or calling
	// location.replace), open (window.open).
	Kind string
}

// Payload is data a page decodes in the browser.
type Payload struct {
	// How is "atob" or "data-uri".
	How string
	// MediaType is the type a data: URI declares; empty for atob.
	MediaType string
	// Data is the decoded bytes of a payload that is not text (a smuggled
	// zip or executable), for the caller to read as a file.
	Data []byte
	// Text and Links are what a payload that is text (most often HTML) holds.
	Text  string
	Links []Link
}

// Document is what Read found in one page.
type Document struct {
	// Text is the visible text of the page.
	Text     string
	Links    []Link
	Payloads []Payload
}

// Read reads an HTML page and the payloads it carries, one level deep.
func Read(data []byte) *Document {
	return read(data, true)
}

func read(data []byte, decode bool) *Document {
	r := &reader{doc: &Document{}, decode: decode}
	z := html.NewTokenizer(bytes.NewReader(data))
	var text strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			r.doc.Text = text.String()
			return r.doc
		case html.TextToken:
			if r.script {
				r.scriptText(z.Text())
			} else if skip == 0 {
				text.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			r.tag(a, attributes(z))
			switch a {
			case atom.Script:
				r.script = tt == html.StartTagToken
			case atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.Br, atom.P, atom.Div, atom.Tr, atom.Li, atom.Td, atom.H1, atom.H2, atom.H3:
				text.WriteByte('\n')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch atom.Lookup(name) {
			case atom.Script:
				r.script = false
			case atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
				if skip > 0 {
					skip--
				}
			case atom.P, atom.Div, atom.Tr, atom.Li, atom.Td:
				text.WriteByte('\n')
			}
		}
	}
}

type reader struct {
	doc    *Document
	decode bool // payloads are decoded at the first level only
	script bool
}

func attributes(z *html.Tokenizer) map[string]string {
	attrs := map[string]string{}
	for {
		k, v, more := z.TagAttr()
		key := string(k)
		if _, dup := attrs[key]; !dup {
			attrs[key] = string(v)
		}
		if !more {
			return attrs
		}
	}
}

func (r *reader) tag(a atom.Atom, attrs map[string]string) {
	for _, k := range []string{"href", "src", "action", "formaction", "data", "poster"} {
		if v := strings.TrimSpace(attrs[k]); v != "" {
			kind := k
			if k == "formaction" {
				kind = "action"
			}
			r.target(v, kind)
		}
	}
	if a == atom.Meta && strings.EqualFold(strings.TrimSpace(attrs["http-equiv"]), "refresh") {
		if u := refreshURL(attrs["content"]); u != "" {
			r.link(u, "meta-refresh")
		}
	}
	// Event handlers are scripts too: onload="location.href='...'".
	for k, v := range attrs {
		if strings.HasPrefix(k, "on") {
			r.scriptText([]byte(v))
		}
	}
}

// target records a link, or decodes it when it is a data: URI.
func (r *reader) target(v, kind string) {
	if len(v) > 5 && strings.EqualFold(v[:5], "data:") {
		r.dataURI(v)
		return
	}
	r.link(v, kind)
}

func (r *reader) link(u, kind string) {
	if len(r.doc.Links) < maxLinks {
		r.doc.Links = append(r.doc.Links, Link{URL: strings.TrimSpace(u), Kind: kind})
	}
}

// refreshURL reads the target of <meta http-equiv="refresh"
// content="0; url=https://...">, as the HTML standard's "shared declarative
// refresh steps" do: a delay, a separator, an optional "url=", the URL,
// optionally quoted.
func refreshURL(content string) string {
	s := strings.TrimLeft(content, " \t\r\n0123456789.")
	s = strings.TrimLeft(s, " \t\r\n;,")
	if len(s) >= 3 && strings.EqualFold(s[:3], "url") {
		rest := strings.TrimLeft(s[3:], " \t\r\n")
		if strings.HasPrefix(rest, "=") {
			s = strings.TrimLeft(rest[1:], " \t\r\n")
		}
	}
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		q := s[0]
		s = s[1:]
		if i := strings.IndexByte(s, q); i >= 0 {
			s = s[:i]
		}
	}
	return strings.TrimSpace(s)
}

var (
	// window.location = "...", location.href='...', top.location.href = `...`
	locationAssign = regexp.MustCompile("(?i)\\blocation(?:\\.href)?\\s*=\\s*[\"'`]([^\"'`\\s]{1,1000})[\"'`]")
	// location.replace("..."), location.assign('...'), window.open("...")
	locationCall = regexp.MustCompile("(?i)\\b(location\\.(?:replace|assign)|window\\.open)\\s*\\(\\s*[\"'`]([^\"'`\\s]{1,1000})[\"'`]")
	atobCall     = regexp.MustCompile("(?i)\\batob\\s*\\(\\s*[\"'`]([A-Za-z0-9+/=_\\-\\s\\\\]{4,})[\"'`]\\s*\\)")
	dataLiteral  = regexp.MustCompile("(?i)[\"'`](data:[^\"'`]{1,})[\"'`]")
)

// scriptText finds the string literals of a script that send the reader
// somewhere or carry a payload. Scripts are not run: a page that builds its
// URL by concatenation is not followed, but its pieces are in the text.
func (r *reader) scriptText(b []byte) {
	if len(b) > maxScript {
		b = b[:maxScript]
	}
	for _, m := range locationAssign.FindAllSubmatch(b, -1) {
		r.link(string(m[1]), "location")
	}
	for _, m := range locationCall.FindAllSubmatch(b, -1) {
		kind := "location"
		if strings.EqualFold(string(m[1]), "window.open") {
			kind = "open"
		}
		r.link(string(m[2]), kind)
	}
	if !r.decode {
		return
	}
	for _, m := range atobCall.FindAllSubmatch(b, -1) {
		if data, ok := decodeBase64(string(m[1])); ok {
			r.payload("atob", "", data)
		}
	}
	for _, m := range dataLiteral.FindAllSubmatch(b, -1) {
		r.dataURI(string(m[1]))
	}
}

// dataURI decodes a data: URI (RFC 2397): data:[<mediatype>][;base64],<data>.
func (r *reader) dataURI(u string) {
	if !r.decode {
		return
	}
	meta, body, ok := strings.Cut(u[5:], ",")
	if !ok {
		return
	}
	mediaType, _, _ := strings.Cut(meta, ";")
	var data []byte
	if strings.HasSuffix(strings.ToLower(meta), ";base64") {
		if data, ok = decodeBase64(body); !ok {
			return
		}
	} else {
		s, err := url.PathUnescape(body)
		if err != nil {
			return
		}
		data = []byte(s)
	}
	mt := strings.ToLower(strings.TrimSpace(mediaType))
	// Pictures are what data: URIs carry in honest pages; the caller
	// reads images apart (for QR codes), as files.
	r.payload("data-uri", mt, data)
}

func (r *reader) payload(how, mediaType string, data []byte) {
	if len(r.doc.Payloads) >= maxPayloads || len(data) == 0 {
		return
	}
	p := Payload{How: how, MediaType: mediaType}
	if isText(data) && !strings.HasPrefix(mediaType, "image/") {
		inner := read(data, false)
		p.Text, p.Links = inner.Text, inner.Links
		if !bytes.Contains(data, []byte("<")) {
			// Not markup: a script or a bare URL; its literals are
			// in inner.Links, its words are the text.
			p.Text = string(data)
		}
	} else {
		p.Data = data
	}
	r.doc.Payloads = append(r.doc.Payloads, p)
}

// decodeBase64 accepts the spellings pages use: padded or not, standard or
// URL alphabet, with white space and escaped line breaks inside.
func decodeBase64(s string) ([]byte, bool) {
	s = strings.NewReplacer("\\n", "", "\\r", "", "\\", "", " ", "", "\n", "", "\r", "", "\t", "").Replace(s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		b, err := base64.RawURLEncoding.DecodeString(s)
		return b, err == nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil
}

func isText(b []byte) bool {
	head := b
	if len(head) > 4096 {
		head = head[:4096]
		for len(head) > 4092 && !utf8.Valid(head) {
			head = head[:len(head)-1]
		}
	}
	return bytes.IndexByte(head, 0) < 0 && utf8.Valid(head)
}
