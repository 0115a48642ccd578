package parser

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// link is a URL an HTML part points at, apart from its visible text.
type link struct {
	target string // the href, src or action as written
	shown  string // the visible text of an <a>, trimmed
	attr   string // href, src, action
	offset int    // where in the rendered text the link stands
}

// rendered is an HTML part turned into plain text for a reader: blocks on
// their own lines, quoted blocks prefixed with "> " so that the plain-text
// rules for quotes and forwards apply to HTML mail too.
type rendered struct {
	text  string
	links []link
}

// maxLinks bounds the links kept from one HTML part; the extractor's own
// indicator limit applies after.
const maxLinks = 20000

// renderHTML reads an HTML document with the tokenizer of x/net/html,
// which never fails on malformed markup and runs in linear time.
func renderHTML(b []byte) rendered {
	var r htmlRenderer
	z := html.NewTokenizer(bytes.NewReader(b))
	z.SetMaxBuf(0)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			r.closeAnchor() // an <a> never closed still leads somewhere
			r.flushLine()
			return rendered{text: r.out.String(), links: r.links}
		case html.TextToken:
			if r.skip == 0 {
				r.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			r.start(z, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			r.end(atom.Lookup(name))
		}
	}
}

type htmlRenderer struct {
	out    strings.Builder
	line   strings.Builder
	quote  int   // blockquote depth
	stack  []int // quote increments of open divs, to undo them on </div>
	skip   int   // inside script, style, head...
	pre    int
	anchor *link
	links  []link
}

func (r *htmlRenderer) text(s string) {
	if r.anchor != nil && len(r.anchor.shown) < 2048 {
		r.anchor.shown += s
	}
	if r.pre > 0 {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if i > 0 {
				r.flushLine()
			}
			r.line.WriteString(l)
		}
		return
	}
	// The words, a space apart: strings.Fields joined, without the slice.
	n := 0
	for w := range strings.FieldsSeq(s) {
		if n == 0 {
			// A space at either end, &nbsp; included, parts this text
			// from its neighbours: "Log in at&nbsp;<b>evil-login.com</b>&nbsp;today".
			if first, _ := utf8.DecodeRuneInString(s); r.line.Len() > 0 && unicode.IsSpace(first) {
				r.line.WriteByte(' ')
			}
		} else {
			r.line.WriteByte(' ')
		}
		r.line.WriteString(w)
		n++
	}
	if n == 0 {
		if s != "" && r.line.Len() > 0 {
			r.line.WriteByte(' ')
		}
		return
	}
	if last, _ := utf8.DecodeLastRuneInString(s); unicode.IsSpace(last) {
		r.line.WriteByte(' ')
	}
}

// flushLine ends the current line, prefixed with the quote depth.
func (r *htmlRenderer) flushLine() {
	l := strings.TrimSpace(r.line.String())
	r.line.Reset()
	if l == "" {
		// Keep at most one blank line in a row.
		if s := r.out.String(); r.out.Len() == 0 || strings.HasSuffix(s, "\n\n") {
			return
		}
		r.out.WriteByte('\n')
		return
	}
	for i := 0; i < r.quote; i++ {
		r.out.WriteString("> ")
	}
	r.out.WriteString(l)
	r.out.WriteByte('\n')
}

func (r *htmlRenderer) offset() int { return r.out.Len() + r.line.Len() }

func (r *htmlRenderer) start(z *html.Tokenizer, selfClosing bool) {
	name, hasAttr := z.TagName()
	a := atom.Lookup(name)
	var attrs tagAttrs
	if hasAttr {
		attrs.read(z, a)
	}
	switch a {
	case atom.Script, atom.Iframe, atom.Frame, atom.Embed:
		// Phishing pages load their kit from the attacker's hosts.
		if src := strings.TrimSpace(attrs.get("src")); src != "" && len(r.links) < maxLinks {
			r.links = append(r.links, link{target: src, attr: "src", offset: r.offset()})
		}
		if a == atom.Script && !selfClosing {
			r.skip++
		}
		return
	case atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
		if !selfClosing {
			r.skip++
		}
		return
	case atom.Br:
		r.flushLine()
		return
	case atom.Pre:
		r.flushLine()
		r.pre++
		return
	case atom.Blockquote:
		r.flushLine()
		r.quote++
		return
	case atom.Div:
		r.flushLine()
		// Gmail and others mark the quoted mail with a class instead of
		// a blockquote.
		inc := 0
		if c := attrs.get("class"); strings.Contains(c, "gmail_quote") || strings.Contains(c, "yahoo_quoted") || attrs.get("type") == "cite" {
			inc = 1
		}
		r.quote += inc
		r.stack = append(r.stack, inc)
		return
	case atom.A:
		// An <a> inside another closes it (HTML's adoption agency does
		// the same): each keeps its own target.
		r.closeAnchor()
		if href := strings.TrimSpace(attrs.get("href")); href != "" && len(r.links) < maxLinks {
			r.anchor = &link{target: href, attr: "href", offset: r.offset()}
		}
		return
	case atom.Img:
		if src := strings.TrimSpace(attrs.get("src")); src != "" && len(r.links) < maxLinks {
			r.links = append(r.links, link{target: src, attr: "src", offset: r.offset()})
		}
		return
	case atom.Form:
		if act := strings.TrimSpace(attrs.get("action")); act != "" && len(r.links) < maxLinks {
			r.links = append(r.links, link{target: act, attr: "action", offset: r.offset()})
		}
		r.flushLine()
		return
	case atom.Td, atom.Th:
		r.line.WriteByte(' ')
		return
	}
	if isBlock(a) {
		r.flushLine()
	}
}

func (r *htmlRenderer) end(a atom.Atom) {
	switch a {
	case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
		if r.skip > 0 {
			r.skip--
		}
		return
	case atom.Pre:
		r.flushLine()
		if r.pre > 0 {
			r.pre--
		}
		return
	case atom.Blockquote:
		r.flushLine()
		if r.quote > 0 {
			r.quote--
		}
		return
	case atom.Div:
		r.flushLine()
		if n := len(r.stack); n > 0 {
			r.quote -= r.stack[n-1]
			r.stack = r.stack[:n-1]
		}
		return
	case atom.A:
		r.closeAnchor()
		return
	}
	if isBlock(a) {
		r.flushLine()
	}
}

// closeAnchor records the open <a>, if any.
func (r *htmlRenderer) closeAnchor() {
	if r.anchor != nil {
		r.anchor.shown = strings.Join(strings.Fields(r.anchor.shown), " ")
		r.links = append(r.links, *r.anchor)
		r.anchor = nil
	}
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Tr, atom.Table, atom.Li, atom.Ul, atom.Ol, atom.H1, atom.H2,
		atom.H3, atom.H4, atom.H5, atom.H6, atom.Hr, atom.Section, atom.Article, atom.Header,
		atom.Footer, atom.Body, atom.Html, atom.Dl, atom.Dt, atom.Dd, atom.Address, atom.Center:
		return true
	}
	return false
}

// tagAttrs holds the attributes start reads of one tag, the first of each
// name as a browser keeps it. Only those of the tag's kind are copied: a
// mail's markup is mostly style attributes, read for nothing before.
type tagAttrs struct {
	n  int
	kv [2][2]string
}

// wantedAttrs are the attributes start reads, by tag.
func wantedAttrs(a atom.Atom) []string {
	switch a {
	case atom.Script, atom.Iframe, atom.Frame, atom.Embed, atom.Img:
		return []string{"src"}
	case atom.Div:
		return []string{"class", "type"}
	case atom.A:
		return []string{"href"}
	case atom.Form:
		return []string{"action"}
	}
	return nil
}

func (t *tagAttrs) read(z *html.Tokenizer, a atom.Atom) {
	want := wantedAttrs(a)
	if want == nil {
		return
	}
	for {
		k, v, more := z.TagAttr()
		for _, w := range want {
			if string(k) == w && !t.has(w) {
				t.kv[t.n] = [2]string{w, string(v)}
				t.n++
			}
		}
		if !more {
			return
		}
	}
}

func (t *tagAttrs) has(key string) bool {
	for i := 0; i < t.n; i++ {
		if t.kv[i][0] == key {
			return true
		}
	}
	return false
}

func (t *tagAttrs) get(key string) string {
	for i := 0; i < t.n; i++ {
		if t.kv[i][0] == key {
			return t.kv[i][1]
		}
	}
	return ""
}
