package outlook

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzLimits are tight, so that each input is quick.
var fuzzLimits = Limits{MaxDepth: 3, MaxAttachments: 20, MaxBytes: 4 << 20}

func FuzzRead(f *testing.F) {
	// Seeds: the small files of the corpus, when it is there.
	for _, d := range []string{"outlook-message-perl", "msgreader-hughbe", "msg-extractor"} {
		filepath.WalkDir(filepath.Join(corpusDir, d), func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || filepath.Ext(path) != ".msg" {
				return nil
			}
			if info, err := e.Info(); err == nil && info.Size() <= 32<<10 {
				if data, err := os.ReadFile(path); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
	f.Add([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Read(data, fuzzLimits)
		if err != nil {
			return
		}
		var walk func(m *Message, depth int)
		walk = func(m *Message, depth int) {
			if depth > fuzzLimits.MaxDepth {
				t.Fatalf("embedded message at depth %d", depth)
			}
			for _, a := range m.Attachments {
				if a.Embedded != nil {
					walk(a.Embedded, depth+1)
				}
			}
		}
		walk(m, 0)
	})
}

func FuzzDecompressRTF(f *testing.F) {
	f.Add(compressRTF(literals(`{\rtf1\ansi\fromhtml1 {\*\htmltag <b>}x}`), 37))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := decompressRTF(data, 1<<20)
		if err == nil && len(out) > 1<<20 {
			t.Fatalf("%d bytes over the limit", len(out))
		}
		htmlFromRTF(data)
	})
}
