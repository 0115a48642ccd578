package indicator

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

const phishingPot = "../../../shared/corpus/phishing_pot/email"

// loadMails returns the decoded text and HTML of the honeypot mails, each
// a separate text as the parser hands them to Extract.
func loadMails(b *testing.B) [][]byte {
	files, _ := filepath.Glob(filepath.Join(phishingPot, "*.eml"))
	if len(files) == 0 {
		b.Skip("phishing_pot corpus not present")
	}
	var texts [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			continue
		}
		for _, s := range []string{env.Text, env.HTML} {
			if s != "" {
				texts = append(texts, []byte(s))
			}
		}
	}
	return texts
}

func BenchmarkExtract(b *testing.B) {
	texts := loadMails(b)
	var total int64
	for _, t := range texts {
		total += int64(len(t))
	}
	x := New(Options{Exclude: []string{"league.example"}})
	n := 0
	emit := func(Indicator) bool { n++; return true }
	b.SetBytes(total)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, t := range texts {
			x.Extract(t, emit)
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "indicators/op")
}

// BenchmarkExtractPathological runs over 1 MiB of each kind of input that
// makes a backtracking matcher quadratic.
func BenchmarkExtractPathological(b *testing.B) {
	for _, p := range []string{"[", ".", "@", "hxxp://", "a.", "a@", "1.1.", "::", "[.]", "0", "a-", "http://a", "x(at)"} {
		text := bytes.Repeat([]byte(p), 1<<20/len(p))
		b.Run(p, func(b *testing.B) {
			x := New(Options{})
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				x.Extract(text, func(Indicator) bool { return true })
			}
		})
	}
}
