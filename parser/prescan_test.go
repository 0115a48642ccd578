package parser

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPartsBound checks that partsBound never lets through a mail that
// prescan would stop, and never counts fewer parts than it.
func TestPartsBound(t *testing.T) {
	mails := map[string]string{
		"single part":  "From: a@example.org\r\n\r\nhello\r\n",
		"no header":    "--b\r\n\r\n--b--\r\n",
		"empty":        "",
		"LF only":      "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b\n\ny\n--b--\n",
		"upper case":   "Content-Type: MULTIPART/MIXED; BOUNDARY=b\r\n\r\n--b\r\nContent-Type: Multipart/Alternative; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n",
		"dotted I":     "Content-Type: MULT\u0130PART/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"folded":       "Content-Type: multipart/mixed;\r\n boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"folded type":  "Content-Type: multi\r\n part/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"preamble":     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--not it\r\n--b\r\n\r\nx\r\n--b--\r\n--b\r\n",
		"never closed": "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\n\r\ny",
	}
	for _, n := range []int{10, 15, 16, 17, 40} {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
		}
		mails[fmt.Sprintf("%d deep", n)] = b.String()
	}
	for _, n := range []int{900, 997, 998, 999, 1000, 1001, 3000} {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
		}
		b.WriteString("--b--\r\n")
		mails[fmt.Sprintf("%d parts", n)] = b.String()
	}
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mails[f] = string(raw)
	}
	for name, raw := range mails {
		for _, lim := range [][2]int{{1000, 16}, {50, 3}, {2, 1}, {1, 0}} {
			bound, ok := partsBound([]byte(raw), lim[0], lim[1])
			n, err := prescan([]byte(raw), lim[0], lim[1])
			if ok && (err != nil || n > bound) {
				t.Errorf("%s, limits %v: bound %d, but prescan counts %d (%v)", name, lim, bound, n, err)
			}
		}
	}
}

// TestParseLimitsNested checks the part limit of a mail attached, base64
// encoded so that the parts are hidden from the bound of its parent, to a
// mail that partsBound lets through uncounted: the attached one is held to
// what the parent leaves, as prescan counts it.
func TestParseLimitsNested(t *testing.T) {
	parts := func(n int) string {
		var b strings.Builder
		b.WriteString("From: x@hospital.example.com\r\nSubject: parts\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
		}
		return b.String()
	}
	inner := parts(500) + "--b--\r\n"
	outer := parts(600) + "--b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte(inner)) + "\r\n--b--\r\n"
	lim := testOpts.withDefaults().Limits
	if _, ok := partsBound([]byte(outer), lim.MaxParts, lim.MaxMultipartDepth); !ok {
		t.Fatal("the parent is not let through by partsBound")
	}
	n, err := prescan([]byte(outer), lim.MaxParts, lim.MaxMultipartDepth)
	if err != nil {
		t.Fatal(err)
	}
	m := Parse([]byte(outer), testOpts)
	want := fmt.Sprintf("more than %d parts", lim.MaxParts-n)
	found := false
	for _, e := range m.Errors {
		found = found || strings.Contains(e, want)
	}
	if !found {
		t.Errorf("errors %q do not say %q", m.Errors, want)
	}
}
