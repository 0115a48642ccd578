package archive

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"os"
	"strings"
	"testing"
	"time"
)

// entry describes one member of a zip built by a test.
type entry struct {
	name     string
	data     []byte
	password string // ZipCrypto when set
	method   uint16
}

// buildZip writes a zip of entries, encrypting those with a password.
func buildZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		if e.password != "" {
			writeEncrypted(t, w, e)
			continue
		}
		fw, err := w.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeEncrypted adds e to w encrypted with ZipCrypto (APPNOTE 6.1.5-6.1.6,
// the encrypting direction).
func writeEncrypted(t testing.TB, w *zip.Writer, e entry) {
	t.Helper()
	var body []byte
	switch e.method {
	case zip.Store:
		body = e.data
	case zip.Deflate:
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, flate.DefaultCompression)
		fw.Write(e.data)
		fw.Close()
		body = b.Bytes()
	}
	sum := crc32.ChecksumIEEE(e.data)
	hdr := []byte("abcdefghijk?") // the random part need not be random in a test
	hdr[11] = byte(sum >> 24)
	plain := append(hdr, body...)
	z := newZipCrypto(e.password)
	enc := make([]byte, len(plain))
	for i, c := range plain {
		enc[i] = c ^ z.stream()
		z.update(c)
	}
	fh := &zip.FileHeader{
		Name:               e.name,
		Method:             e.method,
		Flags:              flagEncrypted,
		CRC32:              sum,
		CompressedSize64:   uint64(len(enc)),
		UncompressedSize64: uint64(len(e.data)),
	}
	fw, err := w.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(enc)
}

// zerosZip returns a zip holding one deflated member of n MiB of zeros,
// declaring the size declared. It deflates one MiB once and repeats the
// blocks, so building a 1 GiB bomb costs about 1 MiB.
func zerosZip(t testing.TB, n int, declared uint64) []byte {
	t.Helper()
	mib := make([]byte, 1<<20)
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	fw.Write(mib)
	fw.Flush() // ends the blocks on a byte boundary, none of them final
	var tail bytes.Buffer
	fe, _ := flate.NewWriter(&tail, flate.BestCompression)
	fe.Close() // an empty final block
	// Back references reach only zeros, so the repeated blocks stay valid.
	comp := append(bytes.Repeat(blk.Bytes(), n), tail.Bytes()...)
	var sum uint32
	for range n {
		sum = crc32.Update(sum, crc32.IEEETable, mib)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	raw, err := w.CreateRaw(&zip.FileHeader{
		Name: "zeros.bin", Method: zip.Deflate, CRC32: sum,
		CompressedSize64: uint64(len(comp)), UncompressedSize64: declared,
	})
	if err != nil {
		t.Fatal(err)
	}
	raw.Write(comp)
	w.Close()
	return buf.Bytes()
}

func TestReadZip(t *testing.T) {
	hello := []byte("hello, hospital\n")
	text := bytes.Repeat([]byte("a harmless line of text\n"), 200)
	inner := buildZip(t, entry{name: "sample.txt", data: hello, method: zip.Deflate})
	middle := buildZip(t, entry{name: "inner.zip", data: inner})
	outer := buildZip(t, entry{name: "middle.zip", data: middle}, entry{name: "readme.txt", data: hello})

	var many []entry
	for i := range 50 {
		many = append(many, entry{name: fmt.Sprintf("f%02d.txt", i), data: hello})
	}

	aes := func() []byte {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		// A WinZip AES member: method 99 and the 0x9901 extra field.
		fw, _ := w.CreateRaw(&zip.FileHeader{
			Name: "sample.exe", Method: methodAES, Flags: flagEncrypted,
			Extra:            []byte{0x01, 0x99, 7, 0, 2, 0, 'A', 'E', 3, 8, 0},
			CompressedSize64: 28, UncompressedSize64: 16,
		})
		fw.Write(make([]byte, 28))
		w.Close()
		return buf.Bytes()
	}()

	plain := buildZip(t, entry{name: "a.txt", data: text, method: zip.Deflate}, entry{name: "b.txt", data: hello})
	corruptMember := buildZip(t, entry{name: "text.txt", data: text, method: zip.Deflate})
	if i := bytes.Index(corruptMember, []byte("text.txt")); i > 0 {
		// Damage the deflated data just after the local header's name.
		for j := i + 8; j < i+20; j++ {
			corruptMember[j] ^= 0x55
		}
	}

	tests := []struct {
		name    string
		data    []byte
		lim     Limits
		wantErr bool
		check   func(t *testing.T, l *Listing)
	}{
		{name: "normal", data: buildZip(t,
			entry{name: "a.txt", data: hello, method: zip.Deflate},
			entry{name: "dir/", data: nil},
			entry{name: "dir/b.txt", data: text, method: zip.Store}),
			check: func(t *testing.T, l *Listing) {
				wantMembers(t, l, 3)
				m := l.Members
				if !bytes.Equal(m[0].Data, hello) || m[0].Size != int64(len(hello)) || m[0].Err != "" {
					t.Errorf("a.txt = %+v", m[0])
				}
				if !m[1].Dir || m[1].Data != nil {
					t.Errorf("dir/ = %+v", m[1])
				}
				if !bytes.Equal(m[2].Data, text) || m[2].Method != zip.Store || m[2].Suspicious != "" {
					t.Errorf("dir/b.txt = %+v", m[2])
				}
			}},
		{name: "nested", data: outer, check: func(t *testing.T, l *Listing) {
			wantMembers(t, l, 2)
			n1 := l.Members[0].Nested
			if n1 == nil || len(n1.Members) != 1 || n1.Members[0].Depth != 1 {
				t.Fatalf("middle.zip nested = %+v", n1)
			}
			n2 := n1.Members[0].Nested
			if n2 == nil || len(n2.Members) != 1 || !bytes.Equal(n2.Members[0].Data, hello) || n2.Members[0].Depth != 2 {
				t.Fatalf("inner.zip nested = %+v", n2)
			}
		}},
		{name: "nested beyond depth", data: outer, lim: Limits{MaxDepth: 1}, check: func(t *testing.T, l *Listing) {
			n1 := l.Members[0].Nested
			if n1 == nil || n1.Members[0].Nested != nil || !bytes.Equal(n1.Members[0].Data, inner) {
				t.Fatalf("depth 1 should list middle.zip but not open inner.zip: %+v", n1)
			}
		}},
		{name: "no nesting", data: outer, lim: Limits{MaxDepth: -1}, check: func(t *testing.T, l *Listing) {
			if l.Members[0].Nested != nil {
				t.Fatal("nested zip opened with MaxDepth -1")
			}
		}},
		{name: "zip bomb", data: zerosZip(t, 1024, 1<<30), lim: Limits{MaxMemberBytes: 4 << 20},
			check: func(t *testing.T, l *Listing) {
				wantMembers(t, l, 1)
				m := l.Members[0]
				if m.Data != nil || !strings.Contains(m.Err, "over size limit") || m.Size != 4<<20+1 || m.DeclaredSize != 1<<30 {
					t.Errorf("bomb member = Size %d DeclaredSize %d Err %q", m.Size, m.DeclaredSize, m.Err)
				}
			}},
		{name: "bomb with lying size", data: zerosZip(t, 64, 100), lim: Limits{MaxMemberBytes: 1 << 20},
			check: func(t *testing.T, l *Listing) {
				m := l.Members[0]
				if m.Data != nil || m.Err == "" || m.Size > 1<<20+1 {
					t.Errorf("member = Size %d Err %q", m.Size, m.Err)
				}
			}},
		{name: "total cap", data: buildZip(t,
			entry{name: "1", data: text}, entry{name: "2", data: text}, entry{name: "3", data: text}),
			lim: Limits{MaxTotalBytes: int64(2*len(text) + 10)},
			check: func(t *testing.T, l *Listing) {
				wantMembers(t, l, 3)
				if l.Members[1].Data == nil || l.Members[2].Data != nil || !strings.Contains(l.Members[2].Err, "total") {
					t.Errorf("third member = %+v", l.Members[2].Err)
				}
			}},
		{name: "encrypted infected", data: buildZip(t,
			entry{name: "sample.txt", data: text, password: "infected", method: zip.Deflate},
			entry{name: "stored.txt", data: hello, password: "virus", method: zip.Store}),
			check: func(t *testing.T, l *Listing) {
				wantMembers(t, l, 2)
				for i, want := range [][]byte{text, hello} {
					m := l.Members[i]
					if !m.Encrypted || !bytes.Equal(m.Data, want) || m.Err != "" {
						t.Errorf("%s: Encrypted %v Err %q data ok %v", m.Name, m.Encrypted, m.Err, bytes.Equal(m.Data, want))
					}
				}
				if l.Members[0].Password != "infected" || l.Members[1].Password != "virus" {
					t.Errorf("passwords = %q, %q", l.Members[0].Password, l.Members[1].Password)
				}
			}},
		{name: "encrypted unknown password", data: buildZip(t,
			entry{name: "sample.txt", data: text, password: "not-a-known-one", method: zip.Deflate}),
			check: func(t *testing.T, l *Listing) {
				m := l.Members[0]
				if !m.Encrypted || m.Data != nil || m.Err != "encrypted: no known password" || m.Password != "" {
					t.Errorf("member = %+v", m)
				}
			}},
		{name: "aes", data: aes, check: func(t *testing.T, l *Listing) {
			m := l.Members[0]
			if !m.Encrypted || m.Data != nil || m.Err != "aes not supported" {
				t.Errorf("member = %+v", m)
			}
		}},
		// Cut inside the end of central directory record. (A zip holding a
		// stored zip still has the inner one's record, and that is read.)
		{name: "truncated", data: plain[:len(plain)-10], wantErr: true},
		{name: "truncated to half", data: plain[:len(plain)/2], wantErr: true},
		{name: "not a zip", data: []byte("this is not a zip at all"), wantErr: true},
		{name: "empty", data: nil, wantErr: true},
		{name: "corrupt member", data: corruptMember, check: func(t *testing.T, l *Listing) {
			m := l.Members[0]
			if m.Data != nil || m.Err == "" {
				t.Errorf("corrupt member read: Err %q", m.Err)
			}
		}},
		{name: "path traversal", data: buildZip(t,
			entry{name: "../../etc/passwd", data: hello},
			entry{name: "/etc/cron.d/x", data: hello},
			entry{name: `C:\Windows\evil.dll`, data: hello},
			entry{name: `a\..\..\b.txt`, data: hello},
			entry{name: "ok/..name.txt", data: hello}),
			check: func(t *testing.T, l *Listing) {
				wantMembers(t, l, 5)
				want := []string{"parent directory", "absolute path", "drive letter", "parent directory", ""}
				for i, m := range l.Members {
					if m.Suspicious != want[i] {
						t.Errorf("%q: Suspicious %q, want %q", m.Name, m.Suspicious, want[i])
					}
					if !bytes.Equal(m.Data, hello) {
						t.Errorf("%q not read", m.Name)
					}
				}
				if l.Members[0].Name != "../../etc/passwd" {
					t.Errorf("name changed to %q", l.Members[0].Name)
				}
			}},
		{name: "many entries", data: buildZip(t, many...), lim: Limits{MaxEntries: 10},
			check: func(t *testing.T, l *Listing) {
				wantMembers(t, l, 10)
				if !strings.Contains(l.Truncated, "40 of 50") {
					t.Errorf("Truncated = %q", l.Truncated)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			l, err := ReadZip(tt.data, tt.lim)
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; listing %+v", l)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, l)
		})
	}
}

func wantMembers(t *testing.T, l *Listing, n int) {
	t.Helper()
	if len(l.Members) != n {
		t.Fatalf("%d members, want %d: %+v", len(l.Members), n, l.Members)
	}
}

// TestReadZipInfoZip reads zips encrypted by Info-ZIP's zip 3.0
// ("zip -P infected"), so that the decryption is checked against another
// implementation and not only against the test's own encryption.
func TestReadZipInfoZip(t *testing.T) {
	tests := []struct {
		file     string
		names    []string
		password string
		err      string
	}{
		{"infected.zip", []string{"sample.txt", "notes.txt"}, "infected", ""},
		{"infected-stored.zip", []string{"sample.txt"}, "infected", ""},
		// Written to a pipe: sizes in a data descriptor, flag bit 3.
		{"infected-stream.zip", []string{"-"}, "infected", ""},
		{"unknown-password.zip", []string{"sample.txt"}, "", "encrypted: no known password"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			l, err := ReadZip(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			wantMembers(t, l, len(tt.names))
			for i, m := range l.Members {
				if m.Name != tt.names[i] || !m.Encrypted || m.Password != tt.password || m.Err != tt.err {
					t.Errorf("member %d = %q Encrypted %v Password %q Err %q", i, m.Name, m.Encrypted, m.Password, m.Err)
				}
				if tt.err == "" && (int64(m.DeclaredSize) != m.Size || crc32.ChecksumIEEE(m.Data) != m.CRC32) {
					t.Errorf("%s: %d bytes read, %d declared", m.Name, m.Size, m.DeclaredSize)
				}
			}
		})
	}
}

// TestZipCryptoKeys checks the key schedule against its definition with an
// independent reading of APPNOTE 6.1.5: key0 after "a" is crc32(key0, 'a').
func TestZipCryptoKeys(t *testing.T) {
	z := newZipCrypto("")
	if z.k0 != 0x12345678 || z.k1 != 0x23456789 || z.k2 != 0x34567890 {
		t.Fatalf("initial keys %x %x %x", z.k0, z.k1, z.k2)
	}
	z.update('a')
	// hash/crc32 inverts before and after; undo both to get the raw step.
	want := ^crc32.Update(^uint32(0x12345678), crc32.IEEETable, []byte("a"))
	if z.k0 != want {
		t.Errorf("k0 = %#x, want %#x", z.k0, want)
	}
}

func BenchmarkZipBomb(b *testing.B) {
	data := zerosZip(b, 1024, 1<<30)
	b.ResetTimer()
	for range b.N {
		if _, err := ReadZip(data, Limits{MaxMemberBytes: 4 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}
