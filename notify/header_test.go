package notify

import (
	"bytes"
	"mime"
	"net/mail"
	"strings"
	"testing"
)

func TestHeaderText(t *testing.T) {
	dec := new(mime.WordDecoder)
	for _, c := range []struct{ in, decoded string }{
		{"x\r\nBcc: victim@example.com", "x Bcc: victim@example.com"},
		{"x\nBcc: victim@example.com", "x Bcc: victim@example.com"},
		{"x\rBcc: victim@example.com", "x Bcc: victim@example.com"},
		{"a\u2028b\u0085c\x00d\te", "a b c d e"},
		{"  plain  subject ", "plain subject"},
		{"Hôpital: hameçonnage", "Hôpital: hameçonnage"},
		{"Hôpital\r\nBcc: v@example.com", "Hôpital Bcc: v@example.com"},
		{"=?utf-8?q?x=0D=0ABcc:_v@example.com?=", "= ?utf-8?q?x=0D=0ABcc:_v@example.com?="},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	} {
		got := HeaderText(c.in)
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("HeaderText(%q) = %q: a line break", c.in, got)
		}
		d, err := dec.DecodeHeader(got)
		if err != nil || d != c.decoded {
			t.Errorf("HeaderText(%q) = %q, decoding to %q (%v), want %q", c.in, got, d, err, c.decoded)
		}
	}
}

// TestInjectedSubject writes a hostile subject the way Render does and
// parses the result: one Subject, no Bcc.
func TestInjectedSubject(t *testing.T) {
	var b bytes.Buffer
	writeField(&b, "Subject", HeaderText("[League #1] x\r\nBcc: victim@example.com"))
	writeField(&b, "From", "<report@league.example>")
	b.WriteString("\r\nbody\r\n")
	m, err := mail.ReadMessage(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Header["Bcc"]) != 0 || len(m.Header["Subject"]) != 1 {
		t.Errorf("headers %v", m.Header)
	}
}

func TestWriteFieldFolds(t *testing.T) {
	var b bytes.Buffer
	long := HeaderText(strings.Repeat("Hôpital hameçonnage ", 20))
	writeField(&b, "Subject", long)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\r\n"), "\r\n")
	if len(lines) < 5 {
		t.Errorf("not folded: %q", b.String())
	}
	for _, line := range lines {
		// An encoded word is up to 75 characters (RFC 2047), after the name.
		if len(line) > len("Subject: ")+75 {
			t.Errorf("line of %d characters: %q", len(line), line)
		}
	}
	m, err := mail.ReadMessage(strings.NewReader(b.String() + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if want := strings.TrimSpace(strings.Repeat("Hôpital hameçonnage ", 20)); got != want {
		t.Errorf("unfolded %q\nwant %q", got, want)
	}
}

func TestAddressAndMessageID(t *testing.T) {
	for a, ok := range map[string]bool{
		"soc@hospital.example": true, "a+b@x.example": true,
		"": false, "a@b\r\nBcc: c@d": false, "A <a@b.example>": false, "a@b,c@d": false,
		"ä@b.example": false, "a@@b": false, "nodomain": false,
	} {
		if _, err := address(a); (err == nil) != ok {
			t.Errorf("address(%q): %v", a, err)
		}
	}
	for id, ok := range map[string]bool{
		"<t1.abc@league.example>": true, "<a@b>": true,
		"t1@league.example": false, "<a b@c>": false, "<a@b>\r\nBcc: x": false, "<ab>": false, "<a@b@c>": false,
	} {
		if messageID(id) != ok {
			t.Errorf("messageID(%q) = %v", id, !ok)
		}
	}
}
