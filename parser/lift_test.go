package parser

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// wrapped is data in base64 lines of 76, as mailers write it, with nl.
func wrapped(data []byte, nl string) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + nl)
		enc = enc[76:]
	}
	b.WriteString(enc + nl)
	return b.String()
}

// multipart is a mail of the given parts, each a header and a body.
func multipart(nl string, parts ...[2]string) []byte { return multipartOf("BB", nl, parts...) }

func multipartOf(boundary, nl string, parts ...[2]string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.org" + nl + "Subject: x" + nl + "MIME-Version: 1.0" + nl +
		`Content-Type: multipart/mixed; boundary="` + boundary + `"` + nl + nl + "preamble" + nl)
	for _, p := range parts {
		b.WriteString("--" + boundary + nl + strings.ReplaceAll(p[0], "\n", nl) + nl + nl + p[1] + nl)
	}
	b.WriteString("--" + boundary + "--" + nl)
	return []byte(b.String())
}

// TestReadPartsLifted checks that the tree read with bodies lifted is the
// tree enmime reads from the mail as it is, part for part, and that the
// bodies are lifted where they should be.
func TestReadPartsLifted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pdf := make([]byte, 30000)
	for i := range pdf {
		pdf[i] = byte(rng.IntN(256))
	}
	odd := pdf[:20001] // a length whose encoding is padded
	text := "Dear customer,\nplease find your invoice.\n"
	html := [2]string{"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64", wrapped([]byte(strings.Repeat("<p>"+text+"</p>", 400)), "\r\n")}
	att := func(ctype, cte, body string) [2]string {
		return [2]string{"Content-Type: " + ctype + "\nContent-Transfer-Encoding: " + cte + "\nContent-Disposition: attachment; filename=\"f\"", body}
	}
	unpadded := strings.TrimRight(wrapped(odd, "\n"), "=\n")
	spaced := strings.ReplaceAll(wrapped(pdf, "\n"), "\n", " \n")
	qpHTML := strings.Repeat("<p style=3D\"color:red\">Dear customer, your account =E2=80=93 log in at=\r\n https://evil.example/</p>\r\n", 60)
	qpOdd := strings.Repeat("a", 3000) + "=ZZ =\tb\x01c\xe9=\n" + strings.Repeat("x=3D", 900) + "\r\n=" + strings.Repeat("y ", 700) + "=4"
	inner := string(multipartOf("CC", "\n", [2]string{"Content-Type: text/plain", text}, att("application/pdf", "base64", wrapped(pdf, "\n"))))
	tests := []struct {
		name   string
		mail   []byte
		lifted int // bodies lifted and kept
	}{
		{"pdf, CRLF", multipart("\r\n", [2]string{"Content-Type: text/plain", text}, att("application/pdf", "base64", wrapped(pdf, "\r\n"))), 1},
		{"pdf, LF, padded", multipart("\n", att("application/pdf", "base64", wrapped(odd, "\n"))), 1},
		{"unpadded", multipart("\n", att("application/octet-stream", "base64", unpadded)), 1},
		{"spaces at line ends", multipart("\n", att("image/png", "base64", spaced)), 1},
		{"two files, one twice", multipart("\n", att("application/pdf", "base64", wrapped(pdf, "\n")), att("image/jpeg", "base64", wrapped(odd, "\n")), att("application/pdf", "base64", wrapped(pdf, "\n"))), 2},
		{"UTF-8 text in base64", multipart("\r\n", html), 1},
		{"ASCII text declared Latin-1", multipart("\n", att("text/plain; charset=ISO-8859-1", "base64", wrapped([]byte(strings.Repeat(text, 100)), "\n"))), 1},
		{"Latin-1 text, converted as enmime does", multipart("\n", att("text/plain; charset=iso-8859-1", "base64", wrapped([]byte(strings.Repeat("caf\xe9 \x80", 1000)), "\n"))), 1},
		{"Windows-1252 text, converted as enmime does", multipart("\n", att("text/html; charset=windows-1252", "quoted-printable", strings.Repeat("caf=E9 =80=81 ", 1000))), 1},
		{"other Latin names are enmime's", multipart("\n", att("text/plain; charset=latin1", "base64", wrapped([]byte(strings.Repeat(text, 100)), "\n"))), 0},
		{"text of no charset is enmime's to guess", multipart("\n", att("text/html", "base64", wrapped([]byte(strings.Repeat(text, 100)), "\n"))), 0},
		{"text in another charset is enmime's", multipart("\n", att("text/plain; charset=koi8-r", "base64", wrapped([]byte(strings.Repeat(text, 100)), "\n"))), 0},
		{"upper-case encoding", multipart("\n", att("application/pdf", "BASE64", wrapped(pdf, "\n"))), 1},
		{"quoted-printable file", multipart("\n", att("application/pdf", "quoted-printable", strings.Repeat("=41=42\n", 3000))), 1},
		{"quoted-printable HTML", multipart("\r\n", att("text/html; charset=UTF-8", "quoted-printable", qpHTML)), 1},
		{"quoted-printable, long lines and stray bytes", multipart("\n", att("text/html; charset=utf-8", "quoted-printable", qpOdd)), 1},
		{"8bit HTML", multipart("\r\n", att("text/html; charset=utf-8", "8bit", strings.Repeat("<p>Caf\u00e9 \u2013 log in</p>\r\n", 200))), 1},
		{"7bit Latin-1 text, converted", multipart("\n", att("text/plain; charset=iso-8859-1", "7bit", strings.Repeat("caf\xe9\n", 1000))), 1},
		{"no encoding named", multipart("\n", [2]string{"Content-Type: text/plain; charset=utf-8", strings.Repeat(text, 100)}), 1},
		{"an unknown encoding is enmime's", multipart("\n", att("text/plain; charset=utf-8", "x-uuencode", strings.Repeat(text, 100))), 0},
		{"a signature line", multipart("\n", att("text/plain; charset=utf-8", "quoted-printable", qpHTML+"\n-- \nAlex\n")), 1},
		{"comments and rules at line starts", multipart("\r\n", att("text/html; charset=utf-8", "quoted-printable", "<!--\r\n-->"+qpHTML+"\r\n------------\r\n")), 1},
		{"the boundary within a line start is enmime's", multipart("\n", att("text/plain; charset=utf-8", "quoted-printable", qpHTML+"\n--BBX\n")), 0},
		{"the boundary a space in is enmime's", multipart("\n", att("text/plain; charset=utf-8", "quoted-printable", qpHTML+"\n --BB \n"+qpHTML)), 0},
		{"a lone carriage return before the delimiter is enmime's", multipart("\n", att("application/pdf", "quoted-printable", qpHTML+"\rx")), 0},
		{"a comment in HTML", multipart("\n", att("text/html; charset=utf-8", "quoted-printable", "<!-- x -->"+qpHTML)), 1},
		{"quoted-printable of no charset is enmime's", multipart("\n", att("text/html", "quoted-printable", qpHTML)), 0},
		{"a stray letter is enmime's", multipart("\n", att("application/pdf", "base64", wrapped(pdf, "\n")+"!\n")), 0},
		{"a single letter over is enmime's", multipart("\n", att("application/pdf", "base64", wrapped(pdf[:30000], "\n")+"A\n")), 0},
		{"small files are enmime's", multipart("\n", att("application/pdf", "base64", wrapped(pdf[:100], "\n"))), 0},
		{"a forwarded mail, kept as written", multipart("\n", [2]string{"Content-Type: text/plain", text}, [2]string{"Content-Type: message/rfc822", inner}), 1},
		{"a forwarded mail, encoded: lifted whole", multipart("\n", [2]string{"Content-Type: message/rfc822\nContent-Transfer-Encoding: quoted-printable", inner}), 1},
		{"a mail quoted in a text part", multipart("\n", [2]string{"Content-Type: text/plain", inner}), 0},
		{"not multipart", []byte("From: a@example.org\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n" + wrapped(pdf, "\n")), 1},
		{"not multipart, quoted-printable HTML and a signature", []byte("From: a@example.org\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + qpHTML + "\r\n-- \r\n--BB\r\n"), 1},
		{"not multipart, no type is enmime's", []byte("From: a@example.org\nContent-Transfer-Encoding: quoted-printable\n\n" + qpHTML), 0},
		{"not multipart, a header enmime complains of", []byte("From: a@example.org\nBad Header\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + qpHTML), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := mimeParser.ReadParts(bytes.NewReader(tt.mail))
			if err != nil {
				t.Fatal(err)
			}
			got, err := readParts(tt.mail)
			if err != nil {
				t.Fatal(err)
			}
			if d := treeDiff(got, want); d != "" {
				t.Fatal(d)
			}
			if lifted := liftedBodies(tt.mail); lifted != tt.lifted {
				t.Errorf("%d bodies lifted, want %d", lifted, tt.lifted)
			}
		})
	}
}

// liftedBodies is how many bodies of mail readParts reads lifted: none
// when it reads the mail again as it is.
func liftedBodies(mail []byte) int {
	out, bodies := liftBodies(mail)
	if bodies == nil {
		return 0
	}
	root, err := mimeParser.ReadParts(bytes.NewReader(out))
	if err != nil || !restoreBodies(root, bodies) {
		return 0
	}
	return len(bodies)
}

// treeDiff says how two enmime trees differ in what the parser reads.
func treeDiff(a, b *enmime.Part) string {
	for ; a != nil || b != nil; a, b = a.NextSibling, b.NextSibling {
		if a == nil || b == nil {
			return "a part more in one tree"
		}
		if a.PartID != b.PartID || a.ContentType != b.ContentType || a.Charset != b.Charset || a.FileName != b.FileName ||
			a.Disposition != b.Disposition || !bytes.Equal(a.Content, b.Content) || !bytes.Equal(a.Epilogue, b.Epilogue) ||
			fmt.Sprint(a.Header) != fmt.Sprint(b.Header) || errorSet(a) != errorSet(b) {
			return fmt.Sprintf("part %s: %s %d bytes, enmime %s %d bytes", a.PartID, a.ContentType, len(a.Content), b.ContentType, len(b.Content))
		}
		if d := treeDiff(a.FirstChild, b.FirstChild); d != "" {
			return d
		}
	}
	return ""
}

// errorSet is a part's errors in order of their text: enmime lists the
// malformed parameters of a header in map order, which differs from one
// reading to the next.
func errorSet(p *enmime.Part) string {
	errs := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		errs[i] = fmt.Sprint(e)
	}
	slices.Sort(errs)
	return strings.Join(errs, "\n")
}

// TestReadPartsLiftedQPRandom compares with enmime on bodies of random
// quoted-printable, soft breaks, bad escapes, stray bytes and lines longer
// than enmime's cleaner lets through.
func TestReadPartsLiftedQPRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	lifted := 0
	pieces := []string{"=", "=3D", "=\r\n", "=\n", "=4", "=G1", "\r\n", "\n", "\t", " ", "\xe9", "\x00", "abc", "<a href=3D", strings.Repeat("z", 700)}
	dashes := []string{"--", "<!--", "\n-->", "--BB", "\n--B", "x--BB ", "\r\n--BB--"}
	for i := 0; i < 300; i++ {
		var b strings.Builder
		for b.Len() < 2500+rng.IntN(20000) {
			if rng.IntN(400) == 0 {
				b.WriteString(dashes[rng.IntN(len(dashes))])
				continue
			}
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		ctype := "application/octet-stream"
		if i%2 == 0 {
			ctype = "text/plain; charset=utf-8"
		}
		mail := multipart([]string{"\n", "\r\n"}[i%2], [2]string{"Content-Type: " + ctype + "\nContent-Transfer-Encoding: quoted-printable", b.String()})
		want, err := mimeParser.ReadParts(bytes.NewReader(mail))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readParts(mail)
		if err != nil {
			t.Fatal(err)
		}
		if d := treeDiff(got, want); d != "" {
			t.Fatalf("body %d: %s", i, d)
		}
		if liftedBodies(mail) > 0 {
			lifted++
		}
	}
	// Bodies with a boundary where enmime looks are not lifted; many are.
	if lifted < 100 {
		t.Errorf("%d of 300 bodies lifted", lifted)
	}
}

// TestReadPartsLiftedEnds compares with enmime on unencoded bodies whose
// ends mix line feeds, carriage returns and blank lines before the
// delimiter, where enmime's boundary reader decides what is body.
func TestReadPartsLiftedEnds(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	ends := []string{"\n", "\r", "\r\n", "x", " ", "\t", "-", "--", "--B", "--BB", "\n--BB", "\r--BB "}
	lifted := 0
	for i := 0; i < 2000; i++ {
		var b strings.Builder
		// Short bodies lie wholly where enmime looks at every byte, long
		// ones end past it.
		b.WriteString(strings.Repeat("Dear customer, log in at https://evil.example/\n", []int{60, 260}[i/2%2]))
		for j := rng.IntN(6); j > 0; j-- {
			b.WriteString(ends[rng.IntN(len(ends))])
			if rng.IntN(3) == 0 {
				b.WriteString(strings.Repeat("Dear customer\n", 5))
			}
		}
		mail := multipart([]string{"\n", "\r\n"}[i%2], [2]string{"Content-Type: text/plain; charset=utf-8", b.String()}, [2]string{"Content-Type: text/plain", "x"})
		want, werr := mimeParser.ReadParts(bytes.NewReader(mail))
		got, err := readParts(mail)
		if (err != nil) != (werr != nil) {
			t.Fatalf("body %d: error %v, enmime's %v", i, err, werr)
		}
		if werr != nil {
			continue
		}
		if d := treeDiff(got, want); d != "" {
			g, w := got.FirstChild.Content, want.FirstChild.Content
			t.Fatalf("body %d %q: %s\nours %q\nenmime %q", i, b.String()[len(b.String())-20:], d, g[len(g)-20:], w[len(w)-20:])
		}
		if liftedBodies(mail) > 0 {
			lifted++
		}
	}
	if lifted < 500 {
		t.Errorf("%d of 2000 bodies lifted", lifted)
	}
}

// FuzzReadPartsLifted checks on mutated mails that the tree read with
// bodies lifted is enmime's own.
func FuzzReadPartsLifted(f *testing.F) {
	body := strings.Repeat("Dear customer, log in at https://evil.example/\r\n", 60)
	f.Add(multipart("\r\n", [2]string{"Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable", body}, [2]string{"Content-Type: application/pdf\nContent-Transfer-Encoding: base64", wrapped([]byte(body), "\r\n")}))
	f.Add(multipart("\n", [2]string{"Content-Type: text/plain; charset=utf-8", body}, [2]string{"Content-Type: message/rfc822", string(multipartOf("CC", "\n", [2]string{"Content-Type: image/png\nContent-Transfer-Encoding: base64", wrapped([]byte(body), "\n")}))}))
	f.Add([]byte("Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n" + body))
	f.Add([]byte("x:9\nContent-Type:1107827aA1;2;8")) // two malformed parameters, in map order
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr, wpanic := readEnmime(func() (*enmime.Part, error) { return mimeParser.ReadParts(bytes.NewReader(raw)) })
		if wpanic {
			return // enmime's own failure, which Parse recovers from
		}
		got, err, _ := readEnmime(func() (*enmime.Part, error) { return readParts(raw) })
		if (err != nil) != (werr != nil) {
			t.Fatalf("error %v, enmime's %v", err, werr)
		}
		if werr == nil {
			if d := treeDiff(got, want); d != "" {
				t.Fatal(d)
			}
		}
	})
}

func readEnmime(read func() (*enmime.Part, error)) (root *enmime.Part, err error, panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	root, err = read()
	return root, err, false
}
