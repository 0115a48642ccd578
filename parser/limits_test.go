package parser

import (
	"fmt"
	"strings"
	"testing"
)

// Each hostile shape must yield a result with the reason, and what was
// readable before the limit.
func TestParseLimits(t *testing.T) {
	head := "From: x@hospital.example.com\r\nTo: report@league.example\r\nSubject: hostile\r\nMessage-ID: <h@hospital.example.com>\r\n"
	manyParts := func(n int) string {
		var b strings.Builder
		b.WriteString(head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d http://p%d.evil.example.com/\r\n", i, i)
		}
		b.WriteString("--b--\r\n")
		return b.String()
	}
	deepUnclosed := func(n int) string {
		var b strings.Builder
		b.WriteString(head + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
		}
		b.WriteString("text http://deep.evil.example.com/\r\n")
		return b.String()
	}
	deepRFC822 := func(n int) string {
		s := "From: inner@evil.example.com\r\nSubject: innermost\r\n\r\nhttp://innermost.evil.example.com/\r\n"
		for i := 0; i < n; i++ {
			s = "From: layer@evil.example.com\r\nContent-Type: message/rfc822\r\n\r\n" + s
		}
		return head + "Content-Type: message/rfc822\r\n\r\n" + s
	}
	manyURLs := func(n int) string {
		var b strings.Builder
		b.WriteString(head + "\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "http://u%d.evil.example.com/\n", i)
		}
		return b.String()
	}
	tests := []struct {
		name   string
		raw    string
		opts   Options
		reason string
		check  func(*testing.T, *Message)
	}{
		{"many parts", manyParts(3000), testOpts, "more than 1000 parts", func(t *testing.T, m *Message) {
			if !has(m, "domain", "p2999.evil.example.com", "") {
				t.Error("the text of a mail over the part limit was not scanned")
			}
		}},
		{"multiparts nested and never closed", deepUnclosed(500), testOpts, "nested more than 16 deep", nil},
		{"message/rfc822 nested 200 deep", deepRFC822(200), testOpts, "nested more than 8 deep", nil},
		{"too many indicators", manyURLs(30000), testOpts, "more than 10000 indicators", func(t *testing.T, m *Message) {
			if len(m.Indicators) != 10000 {
				t.Errorf("%d indicators kept", len(m.Indicators))
			}
		}},
		{"over the size limit", head + "\r\n" + strings.Repeat("a", 2000), Options{Limits: Limits{MaxSize: 1000}}, "over the limit of 1000", nil},
		{"not a mail", "\x00\x01\x02 binary junk", testOpts, "not a mail", func(t *testing.T, m *Message) {
			if !m.NotMail() {
				t.Error("binary junk taken for a mail")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse([]byte(tt.raw), tt.opts)
			found := false
			for _, e := range m.Errors {
				if strings.Contains(e, tt.reason) {
					found = true
				}
				if strings.HasPrefix(e, "internal error") {
					t.Fatal(e)
				}
			}
			if !found {
				t.Errorf("errors %q do not say %q", m.Errors, tt.reason)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}
