package outlook

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// eml is what a test needs of a reference .eml: subject, sender, the first
// text/plain body, and attachment file names.
type eml struct {
	subject, from string
	body          string
	attachments   []string
}

func readEML(t *testing.T, path string) eml {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var e eml
	e.subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if a, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
		e.from = a.Address
	}
	walkPart(t, m.Header, m.Body, &e)
	return e
}

type header interface{ Get(string) string }

func walkPart(t *testing.T, h header, body io.Reader, e *eml) {
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walkPart(t, p.Header, p, e)
		}
	}
	_, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if name := dparams["filename"]; name != "" {
		e.attachments = append(e.attachments, name)
		return
	}
	if mt != "text/plain" || e.body != "" {
		return
	}
	var r io.Reader = body
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	}
	b, _ := io.ReadAll(r)
	if strings.EqualFold(params["charset"], "cp1252") || strings.EqualFold(params["charset"], "windows-1252") {
		b, _ = charmap.Windows1252.NewDecoder().Bytes(b)
	}
	e.body = string(b)
}

// words normalises text for comparison: converters differ in line ends and
// trailing blank lines.
func words(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// TestPerlCorpus compares each .msg of Email::Outlook::Message's tests with
// the .eml it converts to.
func TestPerlCorpus(t *testing.T) {
	files := corpusFiles(t, "outlook-message-perl")
	if len(files) == 0 {
		t.Fatal("no .msg files")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			want := readEML(t, strings.TrimSuffix(path, ".msg")+".eml")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Read(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != want.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, want.subject)
			}
			if !strings.EqualFold(m.From, want.from) {
				t.Errorf("From = %q, want %q", m.From, want.from)
			}
			if words(m.Body) != words(want.body) {
				t.Errorf("Body = %q, want %q", m.Body, want.body)
			}
			var names []string
			for _, a := range m.Attachments {
				if a.Filename != "" {
					names = append(names, a.Filename)
				}
			}
			// gpg_signed.msg holds its signed part as a nameless
			// multipart/signed attachment; the .eml names its signature.
			if filepath.Base(path) == "gpg_signed.msg" {
				if len(m.Attachments) != 1 || m.Attachments[0].MimeType != "multipart/signed" ||
					!bytes.Contains(m.Attachments[0].Data, []byte("signature.asc")) {
					t.Errorf("attachments = %+v", m.Attachments)
				}
				return
			}
			if !slices.Equal(names, want.attachments) {
				t.Errorf("attachments = %q, want %q", names, want.attachments)
			}
			if len(m.Errors) > 0 {
				t.Errorf("Errors = %q", m.Errors)
			}
		})
	}
}

// TestMsgExtractor compares with msg-extractor's expected outputs: the
// header lines and text of message.text, and the attachments' bytes.
func TestMsgExtractor(t *testing.T) {
	dir := filepath.Join(corpusDir, "msg-extractor", "example-msg-files")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	tests := []struct {
		msg, expected     string
		subject, from, to string
		cc                []string
		date              time.Time
	}{
		{"unicode.msg", "2013-11-18_0026 Test for TIF files", "Test for TIF files", "brizhou@gmail.com",
			"brianzhou@me.com", []string{"brizhou@gmail.com"},
			// message.text shows the Date header's local time, -0800, as GMT.
			time.Date(2013, 11, 18, 8, 26, 24, 0, time.UTC)},
		// An unsent draft: no sender, no submit time.
		{"strangeDate.msg", "2016-02-23_0657 MSG Test File", "MSG Test File", "",
			"time2talk@online-convert.com", nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.msg))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Read(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.subject || m.From != tt.from || !slices.Equal(m.To, []string{tt.to}) ||
				!slices.Equal(m.Cc, tt.cc) || !m.Date.Equal(tt.date) {
				t.Errorf("got Subject %q From %q To %q Cc %q Date %v", m.Subject, m.From, m.To, m.Cc, m.Date)
			}
			text, err := os.ReadFile(filepath.Join(dir, "expected-outputs", tt.expected, "message.text"))
			if err != nil {
				t.Fatal(err)
			}
			_, body, _ := strings.Cut(string(text), "-----------------")
			if words(m.Body) != words(body) {
				t.Errorf("Body = %q\nwant %q", words(m.Body), words(body))
			}
			exp, _ := filepath.Glob(filepath.Join(dir, "expected-outputs", tt.expected, "*.tif"))
			if len(m.Attachments) != len(exp) {
				t.Fatalf("%d attachments, want %d", len(m.Attachments), len(exp))
			}
			for _, a := range m.Attachments {
				want, err := os.ReadFile(filepath.Join(dir, "expected-outputs", tt.expected, a.Filename))
				if err != nil {
					t.Errorf("attachment %q: %v", a.Filename, err)
					continue
				}
				if !bytes.Equal(a.Data, want) {
					t.Errorf("attachment %q: %d bytes differ from the expected %d", a.Filename, len(a.Data), len(want))
				}
			}
		})
	}
}

// TestEmbedded reads a message in a message in a message, and checks that
// the depth limit stops the descent and says so.
func TestEmbedded(t *testing.T) {
	path := filepath.Join(corpusDir, "msgreader-hughbe/Tests/MsgReaderTests/Resources/HiraokaHyperTools/msgreader/msgInMsgInMsg.msg")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	m, err := Read(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	subjects := []string{m.Subject}
	for cur := m; len(cur.Attachments) > 0 && cur.Attachments[0].Embedded != nil; {
		cur = cur.Attachments[0].Embedded
		subjects = append(subjects, cur.Subject)
	}
	want := []string{"I have sub attachments!", "I have attachments!", "Microsoft Outlook テスト メッセージ"}
	if !slices.Equal(subjects, want) {
		t.Errorf("subjects = %q, want %q", subjects, want)
	}
	inner := m.Attachments[0].Embedded.Attachments[0].Embedded
	if inner.From != "xmailuser@xmailserver.test" || !strings.HasPrefix(inner.Body, "この電子メール") {
		t.Errorf("innermost From %q Body %q", inner.From, inner.Body)
	}

	m, err = Read(data, Limits{MaxDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	mid := m.Attachments[0].Embedded
	if mid == nil || len(mid.Attachments) != 2 || mid.Attachments[0].Embedded != nil || mid.Attachments[1].Filename != "green.png" {
		t.Fatalf("MaxDepth 1 should read one embedded level; errors %q", m.Errors)
	}
	if len(m.Errors) != 1 || !strings.Contains(m.Errors[0], "depth limit") {
		t.Errorf("Errors = %q", m.Errors)
	}
}

// TestLimits reads a corpus file under tight limits: the read succeeds,
// what was left out is in Errors.
func TestLimits(t *testing.T) {
	path := filepath.Join(corpusDir, "msg-extractor/example-msg-files/unicode.msg")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	m, err := Read(data, Limits{MaxAttachments: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || len(m.Errors) != 1 || !strings.Contains(m.Errors[0], "attachment limit 1 reached: 1 of 2") {
		t.Errorf("%d attachments, Errors %q", len(m.Attachments), m.Errors)
	}

	m, err = Read(data, Limits{MaxBytes: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Test for TIF files" {
		t.Errorf("Subject = %q", m.Subject)
	}
	for _, a := range m.Attachments {
		if a.Data != nil {
			t.Errorf("attachment %q of %d bytes read over a 100 KiB limit", a.Filename, len(a.Data))
		}
	}
	if len(m.Errors) == 0 || !strings.Contains(strings.Join(m.Errors, "\n"), "byte limit") {
		t.Errorf("Errors = %q", m.Errors)
	}
}

func TestReadNotMsg(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":    nil,
		"text":     []byte("From: someone\r\n\r\nnot a compound file"),
		"cfb only": append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...),
	} {
		if m, err := Read(data, Limits{}); err == nil {
			t.Errorf("%s: no error, message %+v", name, m)
		}
	}
}

// TestTruncated cuts a real file at many points: Read must fail or return
// a message, never panic.
func TestTruncated(t *testing.T) {
	path := filepath.Join(corpusDir, "outlook-message-perl/t/files/plain_jpeg_attached.msg")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus absent: %v", err)
	}
	var failed int
	for n := 0; n < len(data); n += 97 {
		if _, err := Read(data[:n], Limits{}); err != nil {
			failed++
		}
	}
	t.Logf("%d of %d truncations refused", failed, len(data)/97+1)
}
