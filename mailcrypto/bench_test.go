package mailcrypto

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkOpen measures what the crypto layer costs every mail taken in:
// plain mail (the corpus), and encrypted and signed mail of two sizes.
func BenchmarkOpen(b *testing.B) {
	armored, err := os.ReadFile("testdata/league.asc")
	if err != nil {
		b.Fatal(err)
	}
	l, err := ParseLeague(armored, nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{League: l, Known: []*Key{l.Public()}}
	var plain [][]byte
	// The shared corpus of real mails, beside the repository's worktree.
	filepath.WalkDir("../../shared/corpus", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			if raw, err := os.ReadFile(p); err == nil {
				plain = append(plain, raw)
			}
		}
		return nil
	})
	if len(plain) == 0 {
		plain = [][]byte{[]byte(sample)}
	}
	b.Run("plain", func(b *testing.B) {
		var n int64
		for i := 0; b.Loop(); i++ {
			raw := plain[i%len(plain)]
			n += int64(len(raw))
			Open(raw, opts)
		}
		b.SetBytes(n / int64(b.N))
	})
	for _, size := range []int{1 << 10, 100 << 10} {
		body := strings.Repeat("http://evil.example/login is bad\r\n", size/34)
		msg := strings.Replace(sample, "From the start of a line\r\n", body, 1)
		enc, err := Encrypt([]byte(msg), []*Key{l.Public()}, l)
		if err != nil {
			b.Fatal(err)
		}
		signed, _ := l.Sign([]byte(msg))
		for name, raw := range map[string][]byte{"encrypted": enc, "signed": signed} {
			b.Run(name+"-"+map[int]string{1 << 10: "1KB", 100 << 10: "100KB"}[size], func(b *testing.B) {
				b.SetBytes(int64(len(raw)))
				for b.Loop() {
					if op := Open(raw, opts); op.Error != "" || !bytes.Contains(op.Clear, []byte("evil")) {
						b.Fatal(op.Error)
					}
				}
			})
		}
	}
}
