package archive

import (
	"os"
	"strings"
	"testing"
)

func read7zFile(t *testing.T, name string, lim Limits) *Listing {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Read(data, lim)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return l
}

func TestRead7z(t *testing.T) {
	tests := []struct {
		file, member, contains, password, err string
	}{
		{"plain.7z", "invoice.txt", "https://sevenzip.example-phish.top/pay", "", ""},
		{"encrypted.7z", "sample.txt", "https://c2.example-phish.top/gate.php", "infected", ""},
		{"encrypted-names.7z", "sample.txt", "https://c2.example-phish.top/gate.php", "infected", ""},
		{"unknown-password.7z", "sample.txt", "", "", "no known password"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			l := read7zFile(t, tt.file, Limits{})
			m := find(l, tt.member)
			if m == nil {
				t.Fatalf("no member %q in %+v", tt.member, l.Members)
			}
			if !strings.Contains(string(m.Data), tt.contains) || m.Password != tt.password || !strings.Contains(m.Err, tt.err) {
				t.Errorf("member %q: data %q password %q err %q; want %q, %q, %q", m.Name, m.Data, m.Password, m.Err, tt.contains, tt.password, tt.err)
			}
			if tt.password != "" && !m.Encrypted {
				t.Error("not marked encrypted")
			}
		})
	}
}

func TestRead7zNested(t *testing.T) {
	l := read7zFile(t, "plain.7z", Limits{MaxDepth: 1})
	m := find(l, "inner.zip")
	if m == nil || m.Nested == nil {
		t.Fatalf("inner.zip not listed: %+v", l.Members)
	}
	if in := find(m.Nested, "inner.txt"); in == nil || !strings.Contains(string(in.Data), "nested-in-7z") {
		t.Errorf("zip in 7z: %+v", m.Nested.Members)
	}
	if l := read7zFile(t, "plain.7z", Limits{MaxDepth: -1}); find(l, "inner.zip").Nested != nil {
		t.Error("nested archive opened with MaxDepth -1")
	}
}

func TestRead7zSolidBomb(t *testing.T) {
	// 64 MiB of zeros, then a small file, in one solid stream of 10 KiB:
	// reading the small file means decompressing the zeros first. Neither
	// is read, and the reason is given.
	l := read7zFile(t, "solid-bomb.7z", Limits{MaxMemberBytes: 1 << 20, MaxTotalBytes: 4 << 20})
	for _, name := range []string{"a-zeros.txt", "invoice.txt"} {
		m := find(l, name)
		if m == nil || m.Data != nil || m.Err == "" {
			t.Errorf("%s: %+v", name, m)
		}
	}
	// With room for it, the small file is read after the zeros.
	l = read7zFile(t, "solid-bomb.7z", Limits{MaxMemberBytes: 1 << 20, MaxTotalBytes: 80 << 20})
	if m := find(l, "invoice.txt"); m == nil || !strings.Contains(string(m.Data), "sevenzip.example-phish.top") {
		t.Errorf("invoice.txt after the zeros: %+v", m)
	}
}

func TestRead7zGarbage(t *testing.T) {
	data, _ := os.ReadFile("testdata/plain.7z")
	for _, d := range [][]byte{sevenZipMagic, data[:len(data)/2], append(append([]byte{}, data[:40]...), make([]byte, 100)...)} {
		if _, err := Read7z(d, Limits{}); err == nil {
			t.Errorf("%d bytes of a broken 7z read without an error", len(d))
		}
	}
}

func find(l *Listing, name string) *Member {
	for i := range l.Members {
		if l.Members[i].Name == name {
			return &l.Members[i]
		}
	}
	return nil
}
