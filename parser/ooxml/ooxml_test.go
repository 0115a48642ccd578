package ooxml

import (
	"archive/zip"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/parser/archive"
)

type part struct{ name, body string }

// pkg writes an OOXML package the way Office lays one out.
func pkg(t testing.TB, parts ...part) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, p := range append([]part{{"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`}}, parts...) {
		f, err := w.Create(p.name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(p.body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const relsHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`

func rel(id, typ, target, mode string) string {
	m := ""
	if mode != "" {
		m = ` TargetMode="` + mode + `"`
	}
	return `<Relationship Id="` + id + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/` + typ + `" Target="` + target + `"` + m + `/>`
}

func docx(t testing.TB) []byte {
	return pkg(t,
		part{"_rels/.rels", relsHead + rel("rId1", "officeDocument", "word/document.xml", "") + `</Relationships>`},
		part{"word/document.xml", `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>
<w:p><w:r><w:t>Your payslip is ready.</w:t></w:r><w:r><w:t xml:space="preserve"> Sign in at </w:t></w:r><w:hyperlink r:id="rId5"><w:r><w:t>the HR portal</w:t></w:r></w:hyperlink></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>HYPERLINK "https://field-code.example-phish.top/hr"</w:instrText></w:r></w:p>
<w:p><w:r><w:t>Questions: hr-desk@payroll-example.top</w:t></w:r></w:p></w:body></w:document>`},
		part{"word/_rels/document.xml.rels", relsHead +
			rel("rId1", "styles", "styles.xml", "") +
			rel("rId5", "hyperlink", "https://hr-portal.example-phish.top/login?id=42", "External") +
			`</Relationships>`},
		part{"word/_rels/settings.xml.rels", relsHead + rel("rId1", "attachedTemplate", "http://203.0.113.77/template.dotm", "External") + `</Relationships>`},
		part{"word/media/image1.png", "\x89PNG\r\n\x1a\nnot really"},
	)
}

func TestRead(t *testing.T) {
	xlsx := pkg(t,
		part{"xl/sharedStrings.xml", `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Invoice 2024-118</t></si><si><t>pay via https://sheet-text.example-phish.top/pay</t></si></sst>`},
		part{"xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="str"><f>HYPERLINK("https://formula.example-phish.top/x","click")</f><v>click</v></c></row></sheetData></worksheet>`},
		part{"xl/worksheets/_rels/sheet1.xml.rels", relsHead + rel("rId1", "hyperlink", "https://cell-link.example-phish.top/", "External") + `</Relationships>`},
	)
	pptx := pkg(t,
		part{"ppt/slides/slide1.xml", `<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>Scan to verify your account</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>`},
		part{"ppt/slides/_rels/slide1.xml.rels", relsHead + rel("rId2", "hyperlink", "https://slide.example-phish.top/verify", "External") + rel("rId3", "slideLayout", "../slideLayouts/slideLayout1.xml", "") + `</Relationships>`},
	)
	tests := []struct {
		name      string
		data      []byte
		links     []string
		text      []string
		files     int
		notInText string
	}{
		{"docx", docx(t), []string{"https://hr-portal.example-phish.top/login?id=42", "http://203.0.113.77/template.dotm"},
			[]string{"Your payslip is ready. Sign in at the HR portal", `HYPERLINK "https://field-code.example-phish.top/hr"`, "hr-desk@payroll-example.top"}, 1, "schemas.openxmlformats.org"},
		{"xlsx", xlsx, []string{"https://cell-link.example-phish.top/"},
			[]string{"Invoice 2024-118\n", "https://sheet-text.example-phish.top/pay", `HYPERLINK("https://formula.example-phish.top/x"`}, 0, "click\n"},
		{"pptx", pptx, []string{"https://slide.example-phish.top/verify"}, []string{"Scan to verify your account"}, 0, "slideLayout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(tt.data, archive.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range d.Links {
				got = append(got, l.Target)
			}
			if !slices.Equal(got, tt.links) {
				t.Errorf("links %q, want %q", got, tt.links)
			}
			for _, w := range tt.text {
				if !strings.Contains(d.Text, w) {
					t.Errorf("text %q lacks %q", d.Text, w)
				}
			}
			if strings.Contains(d.Text, tt.notInText) {
				t.Errorf("text %q holds %q", d.Text, tt.notInText)
			}
			if len(d.Files) != tt.files {
				t.Errorf("%d files, want %d", len(d.Files), tt.files)
			}
		})
	}
}

func TestReadNotOffice(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("readme.txt")
	f.Write([]byte("hello"))
	w.Close()
	if _, err := Read(b.Bytes(), archive.Limits{}); !errors.Is(err, ErrNotOffice) {
		t.Errorf("plain zip: got %v, want ErrNotOffice", err)
	}
	if _, err := Read([]byte("PK\x03\x04garbage"), archive.Limits{}); err == nil {
		t.Error("garbage read as a document")
	}
}

func TestReadBounded(t *testing.T) {
	// A document part that inflates past the member cap is not read, and
	// the reason is kept; the rest of the document still is.
	big := strings.Repeat("<w:p><w:r><w:t>x</w:t></w:r></w:p>", 10000)
	data := pkg(t,
		part{"word/document.xml", `<w:document xmlns:w="w">` + big + `</w:document>`},
		part{"word/_rels/document.xml.rels", relsHead + rel("rId5", "hyperlink", "https://still-read.example/", "External") + `</Relationships>`},
	)
	d, err := Read(data, archive.Limits{MaxMemberBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Errors) == 0 || !strings.Contains(d.Errors[0], "word/document.xml") {
		t.Errorf("errors %q: want the part over the cap named", d.Errors)
	}
	if len(d.Links) != 1 {
		t.Errorf("links %+v: want the relationship still read", d.Links)
	}
}
