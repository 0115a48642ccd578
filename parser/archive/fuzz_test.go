package archive

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"
)

func FuzzReadZip(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.zip")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	hello := []byte("hello")
	f.Add(buildZip(f, entry{name: "a.txt", data: hello, method: zip.Deflate}))
	f.Add(buildZip(f, entry{name: "in.zip", data: buildZip(f, entry{name: "b", data: hello})}))
	f.Add(buildZip(f, entry{name: "c", data: hello, password: "infected", method: zip.Deflate}))
	f.Add(zerosZip(f, 2, 100))
	// Tight limits keep each input quick; the bomb seed still meets them.
	lim := Limits{MaxEntries: 50, MaxMemberBytes: 64 << 10, MaxTotalBytes: 256 << 10, MaxDepth: 3}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ReadZip(data, lim)
		if err != nil {
			return
		}
		var total int64
		var walk func(l *Listing)
		walk = func(l *Listing) {
			for _, m := range l.Members {
				total += int64(len(m.Data))
				if int64(len(m.Data)) > lim.MaxMemberBytes {
					t.Fatalf("member %q: %d bytes over the cap", m.Name, len(m.Data))
				}
				if m.Nested != nil {
					walk(m.Nested)
				}
			}
		}
		walk(l)
		if total > lim.MaxTotalBytes {
			t.Fatalf("%d bytes over the total cap", total)
		}
	})
}
