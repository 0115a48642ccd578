package parser

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds the parser arbitrary bytes, seeded with the test mails:
// it must never panic, and what it returns must be valid to print and store.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		if raw, err := os.ReadFile(name); err == nil {
			f.Add(raw)
		}
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nFrom: x@y\r\n\r\n"))
	lim := Options{Address: "report@league.example", Limits: Limits{MaxSize: 1 << 20, MaxParts: 50, MaxNesting: 3, MaxIndicators: 100}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := Parse(raw, lim)
		for _, e := range m.Errors {
			if strings.HasPrefix(e, "internal error") {
				t.Fatalf("parser panicked: %s", e)
			}
		}
		if len(m.Indicators) > 100 {
			t.Fatalf("%d indicators over the limit of 100", len(m.Indicators))
		}
		if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.From, "\r\n") {
			t.Fatalf("a header value carries a line break: %q %q", m.Subject, m.From)
		}
		if !utf8.ValidString(m.Text) {
			t.Fatalf("text is not UTF-8")
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
	})
}
