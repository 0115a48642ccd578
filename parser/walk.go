package parser

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"net/textproto"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/hospital-league/leaguemail/parser/indicator"
)

// walkParts reads the parts of one mail: its text and HTML bodies, and
// every attachment. depth is 0 for the report itself, one more for each
// mail forwarded in it. A nil root means the MIME tree could not be read:
// the raw body is then scanned as text, so that nothing in it is missed.
func (p *parse) walkParts(root *enmime.Part, raw []byte, depth int, layer Layer, reply bool) {
	if root == nil {
		body := raw
		if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
			body = raw[i+2:]
		} else if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
			body = raw[i+4:]
		}
		p.bodies([]string{textOf(body, "")}, nil, depth, layer, reply)
		return
	}
	var plains []string
	var htmls [][]byte
	var walk func(pt *enmime.Part)
	walk = func(pt *enmime.Part) {
		for ; pt != nil; pt = pt.NextSibling {
			if pt.FirstChild != nil {
				walk(pt.FirstChild)
				continue
			}
			ct := strings.ToLower(pt.ContentType)
			attached := strings.EqualFold(pt.Disposition, "attachment") || pt.FileName != ""
			switch {
			case ct == "message/rfc822" || ct == "message/global":
				p.attachment(pt.Content, nameOr(pt.FileName, "forwarded.eml"), ct, depth, "", layer)
			case strings.HasPrefix(ct, "multipart/"), ct == "text/rfc822-headers",
				ct == "message/delivery-status", ct == "message/disposition-notification":
				// Structure or reports: read by classify, no user text.
			case !attached && (ct == "text/plain" || ct == "" || ct == "text/enriched"):
				text := textOf(qpResidue(pt, undeclaredUTF8(pt)), pt.Charset)
				if f, delSp := flowed(pt.Header.Get("Content-Type")); f && ct == "text/plain" {
					// Before anything reads lines: a #close reason or a
					// URL would be cut at the soft break.
					text = unflow(text, delSp)
				}
				plains = append(plains, text)
			case !attached && ct == "text/html":
				htmls = append(htmls, qpResidue(pt, undeclaredUTF8(pt)))
			default:
				p.attachment(pt.Content, nameOr(pt.FileName, "part-"+pt.PartID), ct, depth, "", layer)
			}
		}
	}
	if root.FirstChild == nil {
		walk(root)
	} else {
		walk(root.FirstChild)
	}
	if depth == 0 && strings.TrimSpace(strings.Join(plains, "")) == "" && len(htmls) == 0 {
		plains, htmls = p.tnefPlains, p.tnefHTMLs
	}
	p.bodies(plains, htmls, depth, layer, reply)
}

func nameOr(name, alt string) string {
	name = strings.TrimSpace(headerText(name))
	if name == "" {
		return alt
	}
	return name
}

// undeclaredUTF8 returns a text part's content as the sender wrote it
// when it is UTF-8 in a part that says us-ascii, as RFC 2045 makes every
// part without a Content-Type say: enmime then reads its 8-bit bytes as
// Windows-1252 (the WHATWG reading of "us-ascii"), and аpple.com with a
// Cyrillic а comes out as mojibake. Bytes that are valid UTF-8 and not
// ASCII are, in practice, always UTF-8: no one writes "Ð°" in a mail.
func undeclaredUTF8(pt *enmime.Part) []byte {
	b := pt.Content
	switch strings.ToLower(pt.Charset) {
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso-646-us", "us":
	default:
		return b
	}
	if isASCII(b) {
		return b
	}
	for _, enc := range []*charmap.Charmap{charmap.Windows1252, charmap.ISO8859_1} {
		if raw, err := enc.NewEncoder().Bytes(b); err == nil && utf8.Valid(raw) {
			return raw
		}
	}
	return b
}

// qpResidue decodes quoted-printable text in a part that declares no
// encoding, or 7bit or 8bit: bulk mailers and phish kits encode and then
// forget to say so, and <a href=3D"https://evil.example/"> hides its link.
// It decodes only when the text is full of QP: several "=3D" or soft
// line breaks, and no '=' that QP could not have written.
func qpResidue(pt *enmime.Part, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(pt.Header.Get("Content-Transfer-Encoding"))) {
	case "", "7bit", "8bit":
	default:
		return b
	}
	if bytes.Count(b, []byte("=3D"))+bytes.Count(b, []byte("=\n")) < 2 {
		return b
	}
	for i := bytes.IndexByte(b, '='); i >= 0; {
		rest := b[i+1:]
		switch {
		case len(rest) >= 2 && isHexUpper(rest[0]) && isHexUpper(rest[1]):
		case len(rest) >= 1 && (rest[0] == '\n' || rest[0] == '\r' || rest[0] == ' ' || rest[0] == '\t'):
		default:
			return b // a bare '=': not QP, or not only QP
		}
		j := bytes.IndexByte(rest, '=')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	if err != nil {
		return b
	}
	return out
}

func isHexUpper(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// textOf makes valid UTF-8 of a text part. enmime converts declared
// charsets; 8-bit text that declares none, or lies, is most often
// Windows-1252 in the mail this gateway reads.
func textOf(b []byte, charset string) string {
	if utf8.Valid(b) {
		return string(b)
	}
	if s, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
		return string(s)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// bodies reads the text and HTML bodies of one mail. In the report itself
// (depth 0) the text is cut into the reporter's own words, signature,
// quoted and forwarded text (see splitBody); in forwarded mails all of
// it is evidence.
func (p *parse) bodies(plains []string, htmls [][]byte, depth int, layer Layer, reply bool) {
	top := depth == 0
	text := strings.Join(plains, "\n")
	var rendered []rendered
	for _, h := range htmls {
		rendered = append(rendered, renderHTML(h))
	}
	// The report's own words are cut once: the same text is read for
	// its indicators below (the cut took a tenth of the corpus's CPU
	// when made twice).
	var own string
	var ownSegs []segment
	split := func(s string) []segment {
		if top && s == own {
			return ownSegs
		}
		return splitBody(s, reply)
	}
	if top {
		own = text
		if strings.TrimSpace(own) == "" && len(rendered) > 0 {
			own = rendered[0].text
		}
		segs := splitBody(own, reply)
		ownSegs = segs
		p.msg.Text = strings.TrimSpace(regionText(own, segs, regionOwn))
		first := ""
		if len(segs) > 0 && segs[0].region == regionOwn {
			first = own[segs[0].start:segs[0].end]
		}
		p.msg.Commands, p.msg.Note = readCommandBlock(first)
	}
	if text != "" {
		p.regions(text, "text", depth, layer, split)
	}
	for _, r := range rendered {
		segs := p.regions(r.text, "html:text", depth, layer, split)
		for _, l := range r.links {
			where := regionOwn
			if top {
				where = regionAt(segs, l.offset)
			}
			p.link(l, where, layer)
		}
	}
}

// regions extracts the indicators of a text by region and returns the
// regions (cut by split), so that HTML links can be placed in them.
func (p *parse) regions(text, source string, depth int, layer Layer, split func(string) []segment) []segment {
	if depth > 0 {
		p.col.text([]byte(text), source, LayerEvidence)
		return nil
	}
	segs := split(text)
	for _, s := range segs {
		chunk := []byte(text[s.start:s.end])
		switch s.region {
		case regionOwn:
			p.col.text(chunk, source, layer)
		case regionSignature:
			p.col.contextText(chunk, "signature")
		case regionForwarded:
			p.col.text(chunk, source, LayerEvidence)
			p.inlineForward(text[s.start:s.end])
		case regionQuoted:
			// A reply quotes our own mail back: its indicators are on the
			// ticket already, and re-reading them would attribute them
			// to the replier.
		}
	}
	return segs
}

// link records an HTML link target, and a link whose visible text shows
// another URL than its target: exactly what a phish looks like.
func (p *parse) link(l link, where region, layer Layer) {
	if where == regionQuoted {
		return
	}
	if where == regionForwarded {
		layer = LayerEvidence
	}
	target := strings.TrimSpace(l.target)
	if strings.HasPrefix(target, "//") {
		// A protocol-relative link (RFC 3986 section 4.2) takes the
		// scheme of the page: a mail client opens it over https.
		target = "https:" + target
	}
	if prefixFold(target, "cid:") || prefixFold(target, "data:") || strings.HasPrefix(target, "#") {
		return
	}
	if prefixFold(target, "mailto:") {
		addr, _, _ := strings.Cut(target[7:], "?")
		if where == regionSignature {
			if ind, ok := p.col.x.Normalize(indicator.Email, addr); ok {
				p.col.addContext(ind, "signature")
			}
			return
		}
		p.col.value(indicator.Email, addr, "html:mailto", layer)
		return
	}
	if where == regionSignature {
		if ind, ok := p.col.x.Normalize(indicator.URL, target); ok {
			p.col.addContext(ind, "signature")
		}
		return
	}
	ind, ok := p.col.value(indicator.URL, target, "html:"+l.attr, layer)
	if !ok || l.attr != "href" {
		return
	}
	p.deceptive(l.shown, ind)
}

// deceptive compares the host a link shows with the host it goes to.
func (p *parse) deceptive(shown string, target indicator.Indicator) {
	shown = strings.TrimSpace(shown)
	if shown == "" || len(shown) > 2048 || !(strings.Contains(shown, "://") || strings.HasPrefix(strings.ToLower(shown), "www.")) {
		return
	}
	cand := shown
	if !strings.Contains(cand, "://") {
		cand = "http://" + cand
	}
	s, ok := p.col.x.Normalize(indicator.URL, cand)
	if !ok {
		return
	}
	if sh, th := urlHost(s.Value), urlHost(target.Value); sh != "" && th != "" && sh != th {
		if len(p.msg.DeceptiveLinks) < 1000 {
			p.msg.DeceptiveLinks = append(p.msg.DeceptiveLinks, DeceptiveLink{Shown: s.Value, Target: target.Value})
		}
	}
}

// inlineForward records a mail forwarded inline, from the header block
// its client wrote above it, and the addresses of that block as header
// indicators of the evidence.
func (p *parse) inlineForward(text string) {
	f := Forwarded{Depth: 1, How: "inline"}
	for i, line := range strings.SplitN(text, "\n", 16) {
		if i > 14 {
			break
		}
		l := stripStars(strings.TrimSpace(line))
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "from", "de", "von", "van", "da":
			if f.From == "" {
				f.From, _ = address(v)
				if f.From != "" {
					p.col.value(indicator.Email, f.From, "header:from", LayerEvidence)
				}
			}
		case "reply-to", "répondre à", "antwort an":
			if a, _ := address(v); a != "" {
				p.col.value(indicator.Email, a, "header:reply-to", LayerEvidence)
			}
		case "subject", "objet", "betreff", "asunto", "oggetto", "onderwerp":
			if f.Subject == "" {
				f.Subject = headerText(v)
			}
		}
	}
	if f.From != "" || f.Subject != "" {
		p.msg.Evidence = append(p.msg.Evidence, f)
	}
}

// evidenceHeaders reads the fields of a forwarded mail that name its
// sender and the relays it came through (RFC 5321 4.4 Received lines).
func (p *parse) evidenceHeaders(h textproto.MIMEHeader) {
	for _, k := range []struct{ key, source string }{
		{"From", "header:from"}, {"Reply-To", "header:reply-to"}, {"Return-Path", "header:return-path"}, {"Sender", "header:sender"},
	} {
		for _, v := range h.Values(k.key) {
			if a, _ := address(v); a != "" {
				p.col.value(indicator.Email, a, k.source, LayerEvidence)
			}
		}
	}
	for _, v := range h.Values("X-Originating-Ip") {
		ip := strings.Trim(strings.TrimSpace(v), "[]")
		if _, ok := p.col.value(indicator.IPv4, ip, "header:x-originating-ip", LayerEvidence); !ok {
			p.col.value(indicator.IPv6, ip, "header:x-originating-ip", LayerEvidence)
		}
	}
	hops := h.Values("Received")
	first := firstExternalHop(hops)
	for i, v := range hops {
		for _, tok := range receivedFrom(v) {
			for _, t := range []indicator.Type{indicator.IPv4, indicator.IPv6, indicator.Domain} {
				var ok bool
				if i == first {
					_, ok = p.col.value(t, tok, "header:received", LayerEvidence)
				} else {
					_, ok = p.col.contextValue(t, tok, "header:received")
				}
				if ok {
					break
				}
			}
		}
	}
	p.col.text([]byte(headerText(h.Get("Subject"))), "subject", LayerEvidence)
}

// isMailFile says whether an attachment is a mail in RFC 5322 form: by
// its name or type, or by a header block at its start (clients send
// forwarded .eml files as application/octet-stream).
func isMailFile(name, ctype string, data []byte) bool {
	ext := strings.ToLower(path.Ext(name))
	if ext == ".eml" || ctype == "message/rfc822" || ctype == "message/global" {
		return true
	}
	head := data
	if len(head) > 4096 {
		head = head[:4096]
	}
	fields := 0
	for _, l := range bytes.SplitN(head, []byte("\n"), 12) {
		l = bytes.TrimRight(l, "\r")
		if len(l) == 0 {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			continue
		}
		if !looksLikeField(l) {
			return false
		}
		k, _, _ := bytes.Cut(l, []byte(":"))
		switch strings.ToLower(string(k)) {
		case "received", "from", "to", "subject", "message-id", "date", "return-path", "mime-version", "delivered-to":
			fields++
		}
	}
	return fields >= 3
}

// prefixFold says whether s starts with the lower-case ASCII prefix, in
// any case, without lowering all of s (a data: URI can be megabytes).
func prefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
