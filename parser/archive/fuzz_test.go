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

// checkCaps fails when a listing holds more than the limits allow.
func checkCaps(t *testing.T, l *Listing, lim Limits) {
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
}

func FuzzRead7z(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.7z")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	lim := Limits{MaxEntries: 50, MaxMemberBytes: 64 << 10, MaxTotalBytes: 256 << 10, MaxDepth: 3}
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := Read7z(data, lim); err == nil {
			checkCaps(t, l, lim)
		}
	})
}

func FuzzReadRar(f *testing.F) {
	f.Add(rar5(f, rarEntry{name: "a.txt", data: []byte("hello")}, rarEntry{name: "b", data: []byte("x"), password: "infected"}))
	f.Add(rar5(f, rarEntry{name: "in.zip", data: buildZip(f, entry{name: "c", data: []byte("hello")})}))
	lim := Limits{MaxEntries: 50, MaxMemberBytes: 64 << 10, MaxTotalBytes: 256 << 10, MaxDepth: 3}
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := ReadRar(data, lim); err == nil {
			checkCaps(t, l, lim)
		}
	})
}
