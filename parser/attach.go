package parser

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"

	"github.com/hospital-league/leaguemail/parser/archive"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/parser/outlook"
	"github.com/hospital-league/leaguemail/parser/tnef"
)

// maxAttachments bounds the attachment list of one mail, zip members and
// attachments of forwarded mails included.
const maxAttachments = 2000

// attachment records one file: its hashes and real type, then what is in
// it: a forwarded mail (.eml, .msg), a zip's members, HTML, or text.
func (p *parse) attachment(data []byte, name, ctype string, depth int, container string, layer Layer) {
	if len(p.msg.Attachments) >= maxAttachments {
		if !p.attachmentsFull {
			p.attachmentsFull = true
			p.errorf("more than %d attachments: the rest were not read", maxAttachments)
		}
		return
	}
	p.decoded += int64(len(data))
	a := Attachment{
		Filename: name, ContentType: ctype, Size: int64(len(data)), Depth: depth, Container: container,
		SniffedType: sniff(data),
	}
	md, s1, s256 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
	a.MD5, a.SHA1, a.SHA256 = hex.EncodeToString(md[:]), hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:])
	p.msg.Attachments = append(p.msg.Attachments, a)

	if p.decoded > p.opts.Limits.MaxDecoded {
		p.errorf("attachment %q: over the limit of %d decoded bytes: listed and hashed, not read", name, p.opts.Limits.MaxDecoded)
		return
	}
	ext := strings.ToLower(path.Ext(name))
	switch {
	case isMailFile(name, ctype, data):
		p.nestedMail(data, depth+1, "eml", layer)
		return
	case ext == ".msg" || bytes.HasPrefix(data, cfbMagic):
		p.outlookFile(data, name, depth+1)
		return
	case bytes.HasPrefix(data, tnefMagic):
		p.tnefFile(data, name, depth, layer)
		return
	case archive.Kind(data) == "zip" && isOffice(a.SniffedType, ext) && p.officeFile(data, name, depth, layer):
		// Read as a document; a zip named .docx that is none is read as a zip below.
	case archive.Kind(data) != "":
		p.zipFile(data, name, depth, layer)
	case isPDF(data, a.SniffedType):
		p.pdfFile(data, name, layer)
	case qrImages[a.SniffedType]:
		p.qrImage(data, name, layer)
	case ctype == "text/html" || ext == ".html" || ext == ".htm" || ext == ".shtml" || a.SniffedType == "text/html":
		r := renderHTML(data)
		src := "attachment:" + name
		p.col.text([]byte(r.text), src, layer)
		for _, l := range r.links {
			p.link(l, regionOwn, layer)
		}
		p.htmlAttachment(data, name, depth, layer)
	case ext == ".svg" || a.SniffedType == "image/svg+xml":
		// SVG carries scripts like HTML, and smuggles like it.
		p.col.text(data, "attachment:"+name, layer)
		p.htmlAttachment(data, name, depth, layer)
	case ext == ".csv" || ext == ".tsv" || ctype == "text/csv":
		// A comma is valid in a URL, but in a list it ends the field.
		p.col.text(csvFields(data), "attachment:"+name, layer)
	case isTextLike(ext, ctype, data):
		p.col.text(data, "attachment:"+name, layer)
	}
	if hashIsIndicator(a, layer, container) {
		src := "attachment-hash:" + name
		p.col.value(indicator.SHA256, a.SHA256, src, layer)
		p.col.value(indicator.SHA1, a.SHA1, src, layer)
		p.col.value(indicator.MD5, a.MD5, src, layer)
	}
}

var (
	cfbMagic  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	tnefMagic = []byte{0x78, 0x9F, 0x3E, 0x22} // 0x223E9F78, little-endian
)

// hashIsIndicator decides whether a file's hashes go to the feeds: the
// attachments of forwarded mails and the members of zips are samples; the
// reporter's own screenshots, logos and lists are not.
func hashIsIndicator(a Attachment, layer Layer, container string) bool {
	if a.Size == 0 {
		return false
	}
	if layer == LayerEvidence || container != "" {
		return true
	}
	// A reporter may attach the malicious file itself, not zipped.
	switch {
	case strings.HasPrefix(a.SniffedType, "image/"), strings.HasPrefix(a.SniffedType, "text/"),
		a.SniffedType == "application/zip", a.SniffedType == "application/x-7z-compressed",
		a.SniffedType == "application/x-rar-compressed", strings.HasPrefix(a.ContentType, "image/"):
		return false
	}
	return true
}

// sniff reads a file's real type from its bytes; a name or a declared type
// is the sender's word, and phish lie.
func sniff(data []byte) string {
	t := mimetype.Detect(data).String()
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return t
}

var textExts = map[string]bool{
	".txt": true, ".csv": true, ".tsv": true, ".log": true, ".json": true, ".xml": true, ".ioc": true,
	".md": true, ".yaml": true, ".yml": true, ".ini": true, ".conf": true, ".cfg": true, ".eml": true,
	".url": true, ".lnk.txt": true, ".vbs": true, ".js": true, ".ps1": true, ".bat": true, ".cmd": true,
	".hta": true, ".svg": true, ".rtf": true, ".stix": true, ".ndjson": true, ".jsonl": true,
}

// isTextLike says whether an attachment should be read for indicators:
// by its name or type, or because its bytes are text whatever it says.
func isTextLike(ext, ctype string, data []byte) bool {
	if textExts[ext] || strings.HasPrefix(ctype, "text/") || ctype == "application/json" || ctype == "application/xml" {
		return true
	}
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	if len(head) == 0 || bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	// Cut at a rune boundary so a multibyte character at the edge does
	// not make valid UTF-8 look binary.
	for len(head) > 0 && !utf8.Valid(head) && len(head) > len(data)-4 {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head)
}

// nestedMail reads a mail forwarded as an attachment: its headers name the
// attacker's relays and addresses, its bodies and attachments are evidence.
func (p *parse) nestedMail(raw []byte, depth int, how string, _ Layer) {
	if depth > p.opts.Limits.MaxNesting {
		p.errorf("forwarded mail nested more than %d deep: not read", p.opts.Limits.MaxNesting)
		return
	}
	root, h := p.readMail(raw, "forwarded mail")
	f := Forwarded{Depth: depth, How: how, MessageID: firstID(h.Get("Message-Id")), Subject: headerText(h.Get("Subject")), Date: mailDate(h)}
	f.From, _ = address(h.Get("From"))
	p.msg.Evidence = append(p.msg.Evidence, f)
	p.evidenceHeaders(h)
	p.walkParts(root, raw, depth, LayerEvidence, false)
}

// outlookFile reads an Outlook .msg attachment as a forwarded mail.
func (p *parse) outlookFile(data []byte, name string, depth int) {
	if depth > p.opts.Limits.MaxNesting {
		p.errorf("%q: nested more than %d deep: not read", name, p.opts.Limits.MaxNesting)
		return
	}
	budget := p.opts.Limits.MaxDecoded - p.decoded
	if budget <= 0 {
		p.errorf("%q: decoded-size budget spent: not opened", name)
		return
	}
	msg, err := outlook.Read(data, outlook.Limits{MaxDepth: p.opts.Limits.MaxNesting - depth + 1, MaxBytes: budget})
	if err != nil {
		p.errorf("%q: %v", name, err)
		return
	}
	for _, e := range msg.Errors {
		p.errorf("%q: %s", name, e)
	}
	p.outlookMessage(msg, depth)
}

func (p *parse) outlookMessage(msg *outlook.Message, depth int) {
	p.msg.Evidence = append(p.msg.Evidence, Forwarded{Depth: depth, How: "msg", MessageID: firstID(msg.MessageID), From: strings.ToLower(msg.From), Subject: msg.Subject, Date: msg.Date})
	if msg.Headers != "" {
		p.evidenceHeaders(rawHeader([]byte(msg.Headers + "\r\n\r\n")))
	} else {
		if msg.From != "" {
			p.col.value(indicator.Email, msg.From, "header:from", LayerEvidence)
		}
		p.col.text([]byte(msg.Subject), "subject", LayerEvidence)
	}
	plains, htmls := msgBodies(msg.Body, msg.HTML, msg.RTF)
	p.bodies(plains, htmls, depth, LayerEvidence, false)
	for _, a := range msg.Attachments {
		if a.Embedded != nil {
			if depth+1 > p.opts.Limits.MaxNesting {
				p.errorf("embedded message nested more than %d deep: not read", p.opts.Limits.MaxNesting)
				continue
			}
			p.outlookMessage(a.Embedded, depth+1)
			continue
		}
		p.attachment(a.Data, nameOr(a.Filename, "attachment"), strings.ToLower(a.MimeType), depth, "", LayerEvidence)
	}
}

// zipFile lists the members of an archive (zip, 7z, RAR) and reads each as
// an attachment one level deeper; inflation is bounded by what is left of
// the budget, and archives in archives by the mail's nesting limit.
func (p *parse) zipFile(data []byte, name string, depth int, layer Layer) {
	if depth+1 > p.opts.Limits.MaxNesting {
		p.errorf("%q: nested more than %d deep: not opened", name, p.opts.Limits.MaxNesting)
		return
	}
	budget := p.opts.Limits.MaxDecoded - p.decoded
	if budget <= 0 {
		p.errorf("%q: decoded-size budget spent: not opened", name)
		return
	}
	member := budget
	if member > 64<<20 {
		member = 64 << 20
	}
	list, err := archive.Read(data, archive.Limits{MaxEntries: 500, MaxMemberBytes: member, MaxTotalBytes: budget, MaxDepth: -1})
	if err != nil {
		p.errorf("%q: %v", name, err)
		return
	}
	if list.Truncated != "" {
		p.errorf("%q: %s", name, list.Truncated)
	}
	for _, m := range list.Members {
		if m.Dir {
			continue
		}
		if m.Data == nil {
			p.msg.Attachments = append(p.msg.Attachments, Attachment{
				Filename: m.Name, Size: m.Size, Depth: depth + 1, Container: name, Encrypted: m.Encrypted,
			})
			if m.Err != "" {
				p.errorf("%q in %q: %s", m.Name, name, m.Err)
			}
			continue
		}
		p.attachment(m.Data, m.Name, "", depth+1, name, layer)
	}
}

// csvFields puts each field of a CSV or TSV list on a line of its own.
func csvFields(data []byte) []byte {
	out := bytes.Clone(data)
	for i, c := range out {
		if c == ',' || c == ';' || c == '\t' || c == '"' {
			out[i] = '\n'
		}
	}
	return out
}

// tnefFile reads a winmail.dat: Outlook wraps a mail's real attachments and
// body in it, so they belong to the mail that carries it, at its depth.
func (p *parse) tnefFile(data []byte, name string, depth int, layer Layer) {
	budget := p.opts.Limits.MaxDecoded - p.decoded
	if budget <= 0 {
		p.errorf("%q: decoded-size budget spent: not opened", name)
		return
	}
	msg, err := tnef.Read(data, tnef.Limits{MaxAttachments: maxAttachments, MaxBytes: budget})
	if err != nil {
		p.errorf("%q: %v", name, err)
		return
	}
	for _, e := range msg.Errors {
		p.errorf("%q: %s", name, e)
	}
	plains, htmls := msgBodies(msg.Body, msg.HTML, "")
	if depth == 0 {
		// The reporter's own body: walkParts reads it with the mail's text
		// parts, which are often only a stub when a winmail.dat is sent.
		p.tnefPlains, p.tnefHTMLs = append(p.tnefPlains, plains...), append(p.tnefHTMLs, htmls...)
	} else {
		p.bodies(plains, htmls, depth, LayerEvidence, false)
	}
	for _, a := range msg.Attachments {
		p.attachment(a.Data, nameOr(a.Filename, "attachment"), strings.ToLower(a.MimeType), depth, name, layer)
	}
}
