package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"strings"

	"github.com/hospital-league/leaguemail/parser/archive"
	"github.com/hospital-league/leaguemail/parser/htmlattach"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/parser/ooxml"
	"github.com/hospital-league/leaguemail/parser/pdf"
	"github.com/hospital-league/leaguemail/parser/qr"
)

// The readers of this file look where phishing hides its link from a
// reader of text: in a QR code, a PDF, an Office document, an attached HTML
// page. Each runs only on files whose bytes say they are of its kind, so
// that the common mail costs nothing more.

// qrImages are the picture types searched for QR codes ("quishing").
var qrImages = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/bmp": true,
	"image/webp": true, "image/tiff": true,
}

// maxQRPixels bounds the pixels of one mail searched for QR codes: four
// full-page scans at 300 dpi, a second of work at most. A phish shows its
// code on the first page; a PDF of a hundred scanned pages costs no more
// than its first four.
const maxQRPixels = 4 * 2480 * 3508

// qrSpend takes w x h pixels from the mail's budget, or says it is spent.
func (p *parse) qrSpend(w, h int, file string) bool {
	n := int64(w) * int64(h)
	if p.qrPixels+n > maxQRPixels {
		if !p.qrFull {
			p.qrFull = true
			p.errorf("%q: over the %d pixels searched for QR codes in one mail: not searched", file, maxQRPixels)
		}
		return false
	}
	p.qrPixels += n
	return true
}

// qrImage reads the QR codes of a picture; source is the file it was found
// in, so that a triager can see which picture held the link.
func (p *parse) qrImage(data []byte, file string, layer Layer) {
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && !p.qrSpend(cfg.Width, cfg.Height, file) {
		return
	}
	key := pictureKey(data)
	texts, ok := pictures.get(key)
	if !ok {
		var err error
		texts, err = qr.Decode(data, qr.Limits{})
		if err != nil {
			if errors.Is(err, qr.ErrTooLarge) || errors.Is(err, qr.ErrTooComplex) {
				p.errorf("%q: %v: not searched for QR codes", file, err)
			}
			// A picture that does not decode is a broken logo far more
			// often than an attack: the file is listed and hashed already.
			return
		}
		pictures.put(key, texts)
	}
	for _, t := range texts {
		p.col.text([]byte(t), "qr:"+file, layer)
	}
}

// isPDF says whether data is a PDF: readers accept the header anywhere in
// the first 1024 bytes (ISO 32000-1 annex H.3), and so do phish.
func isPDF(data []byte, sniffed string) bool {
	if sniffed == "application/pdf" {
		return true
	}
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	return bytes.Contains(head, []byte("%PDF-"))
}

// pdfFile reads a PDF's link actions, text and pictures.
func (p *parse) pdfFile(data []byte, name string, layer Layer) {
	budget := p.opts.Limits.MaxDecoded - p.decoded
	if budget <= 0 {
		p.errorf("%q: decoded-size budget spent: not opened", name)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.Limits.MaxReaderTime)
	defer cancel()
	doc, err := pdf.Read(ctx, data, pdf.Limits{MaxDecodedBytes: min(budget, pdf.DefaultMaxDecodedBytes)})
	if err != nil {
		p.errorf("%q: %v", name, err)
		return
	}
	p.decoded += int64(len(doc.Text))
	for i, e := range doc.Errors {
		if i == 3 {
			p.errorf("%q: %d more problems", name, len(doc.Errors)-i)
			break
		}
		p.errorf("%q: %s", name, e)
	}
	for _, l := range doc.Links {
		p.linkValue(l.URL, "pdf-link:"+name, layer)
	}
	p.col.text([]byte(doc.Text), "pdf:"+name, layer)
	for _, img := range doc.Images {
		if img.Gray != nil {
			if b := img.Gray.Bounds(); !p.qrSpend(b.Dx(), b.Dy(), name) {
				continue
			}
			texts, err := qr.DecodeImage(img.Gray, qr.Limits{})
			if errors.Is(err, qr.ErrTooComplex) {
				p.errorf("%q: a picture: %v: not searched for QR codes", name, err)
			}
			for _, t := range texts {
				p.col.text([]byte(t), "qr:"+name, layer)
			}
			continue
		}
		p.decoded += int64(len(img.Data))
		p.qrImage(img.Data, name, layer)
	}
}

// isOffice says whether a zip is an OOXML document by its real type or its
// name: macro-enabled and template variants sniff as plain zips.
func isOffice(sniffed, ext string) bool {
	if strings.HasPrefix(sniffed, "application/vnd.openxmlformats-officedocument.") {
		return true
	}
	switch ext {
	case ".docx", ".docm", ".dotx", ".dotm", ".xlsx", ".xlsm", ".xltx", ".xltm", ".pptx", ".pptm", ".potx", ".ppsx", ".ppsm":
		return true
	}
	return false
}

// officeFile reads an OOXML document: its external links, its words, the
// QR codes of its pictures, and its embedded objects as attachments. It
// returns false for a zip that is not a document after all.
func (p *parse) officeFile(data []byte, name string, depth int, layer Layer) bool {
	budget := p.opts.Limits.MaxDecoded - p.decoded
	if budget <= 0 {
		p.errorf("%q: decoded-size budget spent: not opened", name)
		return true
	}
	doc, err := ooxml.Read(data, archive.Limits{MaxEntries: 500, MaxMemberBytes: min(budget, 64<<20), MaxTotalBytes: budget})
	if errors.Is(err, ooxml.ErrNotOffice) {
		return false
	}
	if err != nil {
		p.errorf("%q: %v", name, err)
		return true
	}
	p.decoded += int64(len(doc.Text))
	for i, e := range doc.Errors {
		if i == 3 {
			break
		}
		p.errorf("%q: %s", name, e)
	}
	for _, l := range doc.Links {
		p.linkValue(l.Target, "office-link:"+name, layer)
	}
	p.col.text([]byte(doc.Text), "office:"+name, layer)
	for _, f := range doc.Files {
		if qrImages[sniff(f.Data)] {
			// A document's pictures are its logos and screenshots:
			// searched for QR codes, not listed as samples.
			p.decoded += int64(len(f.Data))
			p.qrImage(f.Data, name, layer)
			continue
		}
		if depth+1 > p.opts.Limits.MaxNesting {
			p.errorf("%q: nested more than %d deep: embedded objects not read", name, p.opts.Limits.MaxNesting)
			break
		}
		p.attachment(f.Data, f.Name, "", depth+1, name, layer)
	}
	return true
}

// htmlAttachment reads what an attached HTML page hides from its text:
// form targets, refreshes, script redirects, and the payloads it decodes
// (HTML smuggling), one level deep. A payload that is a file is read as an
// attachment inside the page.
func (p *parse) htmlAttachment(data []byte, name string, depth int, layer Layer) {
	doc := htmlattach.Read(data)
	for _, l := range doc.Links {
		switch l.Kind {
		case "href", "src":
			// Read with the page's text by renderHTML.
		default:
			p.linkValue(l.URL, "html:"+l.Kind, layer)
		}
	}
	for i, pl := range doc.Payloads {
		src := "html-payload:" + name
		if pl.Data == nil {
			p.col.text([]byte(pl.Text), src, layer)
			for _, l := range pl.Links {
				p.linkValue(l.URL, src, layer)
			}
			continue
		}
		if strings.HasPrefix(pl.MediaType, "image/") {
			p.qrImage(pl.Data, name, layer)
			continue
		}
		if depth+1 > p.opts.Limits.MaxNesting {
			p.errorf("%q: nested more than %d deep: payloads not read", name, p.opts.Limits.MaxNesting)
			return
		}
		p.attachment(pl.Data, fmt.Sprintf("%s payload %d", name, i+1), pl.MediaType, depth+1, name, layer)
	}
}

// linkValue records the target of a link found by a reader: a URL, or the
// address of a mailto: link; protocol-relative links are https.
func (p *parse) linkValue(target, source string, layer Layer) {
	target = strings.TrimSpace(target)
	lower := strings.ToLower(target)
	switch {
	case strings.HasPrefix(lower, "mailto:"):
		addr, _, _ := strings.Cut(target[len("mailto:"):], "?")
		p.col.value(indicator.Email, addr, source, layer)
		return
	case strings.HasPrefix(lower, "mhtml:"):
		// The CVE-2021-40444 and Follina shape: mhtml:http://host/x!y.
		target = target[len("mhtml:"):]
		if i := strings.IndexByte(target, '!'); i > 0 {
			target = target[:i]
		}
	case strings.HasPrefix(target, "//"):
		target = "https:" + target
	}
	p.col.value(indicator.URL, target, source, layer)
}
