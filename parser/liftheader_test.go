package parser

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// samePlainHeader checks plainHeader against enmime's ReadHeader on one
// header: a header it reads is one ReadHeader reads without a complaint,
// to the same two values.
func samePlainHeader(t *testing.T, header string) (plain bool) {
	t.Helper()
	ctype, cte, ok := plainHeader([]byte(header))
	if !ok {
		return false
	}
	var complaints errorCount
	h, err := enmime.ReadHeader(bufio.NewReader(strings.NewReader(header)), &complaints)
	if err != nil || complaints > 0 {
		t.Fatalf("header %q: read as plain, but enmime: %v, %d complaints", header, err, complaints)
	}
	if w := h.Get("Content-Type"); ctype != w {
		t.Fatalf("header %q: Content-Type %q, enmime %q", header, ctype, w)
	}
	if w := h.Get("Content-Transfer-Encoding"); cte != w {
		t.Fatalf("header %q: Content-Transfer-Encoding %q, enmime %q", header, cte, w)
	}
	return true
}

func TestPlainHeader(t *testing.T) {
	tests := []struct {
		header string
		plain  bool
	}{
		{"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n", true},
		{"content-type:text/plain\nCONTENT-TRANSFER-ENCODING:  Quoted-Printable \t\n\n", true},
		{"Content-Type: multipart/mixed;\r\n\tboundary=\"b\"  \r\n \r\n  charset=x\r\n\r\n", true},
		{"Content-Type: a\r\nContent-Type: b\r\nContent-Transfer-Encoding:\r\n\r\n", true},
		{"X-1: y\r\n z\r\nContent-Type: image/png; name=\"a b.png\"\r\n\r\n", true},
		{"Content-Type: text/plain\r\n\r\nbody", false},
		{"Content-Type: text/plain\r\n", false},
		{" Content-Type: text/plain\r\n\r\n", false},
		{"Content-Type : text/plain\r\n\r\n", false},
		{":x\r\nContent-Type: text/plain\r\n\r\n", false},
		{"Content_Type: text/plain\r\n\r\n", false},
		{"1X: y\r\n\r\n", false},
		{"no colon\r\nContent-Type: text/plain\r\n\r\n", false},
		{"Content-Type: text/plain; name=\"\xe9\"\r\n\r\n", false},
		{"Content-Type: text/plain\r\r\n\r\n", false},
		{"Content-Type: text/\x00plain\r\n\r\n", false},
		{"Subject: =?utf-8?q?x?=\r\nContent-Type: text/plain\r\n\r\n", true},
	}
	for _, tt := range tests {
		if got := samePlainHeader(t, tt.header); got != tt.plain {
			t.Errorf("header %q: plain %v, want %v", tt.header, got, tt.plain)
		}
	}

	rng := rand.New(rand.NewPCG(2045, 19))
	names := []string{"Content-Type", "content-type", "CONTENT-TRANSFER-ENCODING", "Content-Transfer-Encoding", "Content-Disposition", "X-A1", "Content-Type ", "Content_Type", "C"}
	values := []string{"", " ", "text/plain", " text/html; charset=\"utf-8\"", "\tbase64 ", "quoted-printable", "7bit\t", " a:b ", "x\xe9", "y\x01"}
	conts := []string{" ", "\t", "  x=1", "\tboundary=\"b\" ", " \t ", "no indent", "z:1"}
	ends := []string{"\r\n", "\n", "\r\r\n"}
	plain := 0
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for n := 1 + rng.IntN(5); n > 0; n-- {
			if b.Len() > 0 && rng.IntN(3) == 0 {
				b.WriteString(conts[rng.IntN(len(conts))])
			} else {
				b.WriteString(names[rng.IntN(len(names))] + ":" + values[rng.IntN(len(values))])
			}
			b.WriteString(ends[rng.IntN(len(ends))])
		}
		b.WriteString(ends[rng.IntN(2)])
		if samePlainHeader(t, b.String()) {
			plain++
		}
	}
	if plain < 500 {
		t.Errorf("%d of 5000 random headers read as plain", plain)
	}
}

// FuzzPlainHeader checks plainHeader against enmime's ReadHeader on any
// bytes.
func FuzzPlainHeader(f *testing.F) {
	f.Add([]byte("Content-Type: text/html;\r\n charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"))
	f.Add([]byte("content-type:text/plain\nX: y\n\tz\n\n"))
	f.Fuzz(func(t *testing.T, header []byte) {
		if bytes.Count(header, []byte("\n")) > 50 {
			return
		}
		samePlainHeader(t, string(header))
	})
}
