package archive

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"
)

// The RAR archives of these tests are written by rar5, a writer of the
// RAR 5.0 format as rarlab's technote describes it: stored members (no
// compression, as WinRAR -m0 writes them), optionally encrypted with
// AES-256 and a password check value, like WinRAR -p.

type rarEntry struct {
	name     string
	data     []byte
	password string // encrypt with this password
	dir      bool
}

func vint(n uint64) []byte {
	var b []byte
	for {
		c := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			c |= 0x80
		}
		b = append(b, c)
		if n == 0 {
			return b
		}
	}
}

// rarBlock writes a header: CRC32, size, then type, flags and fields.
func rarBlock(typ uint64, flags uint64, fields []byte) []byte {
	body := append(vint(typ), vint(flags)...)
	body = append(body, fields...)
	hdr := append(vint(uint64(len(body))), body...)
	out := binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(hdr))
	return append(out, hdr...)
}

// rar5Keys derives the AES key and the password check value of RAR 5
// (PBKDF2-HMAC-SHA256, then 16 and 16 more rounds of it).
func rar5Keys(password string, salt []byte, rounds int) (key, check []byte) {
	prf := hmac.New(sha256.New, []byte(password))
	prf.Write(salt)
	prf.Write([]byte{0, 0, 0, 1})
	u := prf.Sum(nil)
	t := bytes.Clone(u)
	var keys [][]byte
	for _, n := range []int{rounds - 1, 16, 16} {
		for ; n > 0; n-- {
			prf.Reset()
			prf.Write(u)
			u = prf.Sum(u[:0])
			for j := range u {
				t[j] ^= u[j]
			}
		}
		keys = append(keys, bytes.Clone(t))
	}
	pc := keys[2]
	for i, v := range pc[8:] {
		pc[i&7] ^= v
	}
	sum := sha256.Sum256(pc[:8])
	return keys[0], append(bytes.Clone(pc[:8]), sum[:4]...)
}

func rar5(t testing.TB, entries ...rarEntry) []byte {
	t.Helper()
	out := []byte("Rar!\x1a\x07\x01\x00")
	out = append(out, rarBlock(1, 0, vint(0))...) // main archive header
	for _, e := range entries {
		data := e.data
		var extra []byte
		if e.password != "" {
			salt := bytes.Repeat([]byte{7}, 16)
			iv := bytes.Repeat([]byte{9}, 16)
			const kdf = 4 // log2 of the rounds: WinRAR uses 15, tests need speed
			key, check := rar5Keys(e.password, salt, 1<<kdf)
			padded := append(bytes.Clone(data), make([]byte, (16-len(data)%16)%16)...)
			block, _ := aes.NewCipher(key)
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(padded, padded)
			data = padded
			rec := append(vint(0), vint(0x0001)...) // version 0, check present
			rec = append(rec, kdf)
			rec = append(append(append(rec, salt...), iv...), check...)
			rec = append(vint(1), rec...) // record type 1: encryption
			extra = append(vint(uint64(len(rec))), rec...)
		}
		fileFlags := uint64(0x0004) // CRC32 present
		if e.dir {
			fileFlags = 0x0001
		}
		f := vint(fileFlags)
		f = append(f, vint(uint64(len(e.data)))...) // unpacked size
		f = append(f, vint(0x20)...)                // attributes
		if !e.dir {
			f = binary.LittleEndian.AppendUint32(f, crc32.ChecksumIEEE(e.data))
		}
		f = append(f, vint(0)...) // compression: version 0, stored
		f = append(f, vint(0)...) // host OS: Windows
		f = append(f, vint(uint64(len(e.name)))...)
		f = append(f, e.name...)
		flags := uint64(0x0002) // data area
		pre := []byte{}
		if extra != nil {
			flags |= 0x0001
			pre = append(pre, vint(uint64(len(extra)))...)
		}
		pre = append(pre, vint(uint64(len(data)))...)
		out = append(out, rarBlock(2, flags, append(append(pre, f...), extra...))...)
		out = append(out, data...)
	}
	return append(out, rarBlock(5, 0, vint(0))...) // end of archive
}

func TestReadRar(t *testing.T) {
	inner := buildZip(t, entry{name: "deep.txt", data: []byte("https://zip-in-rar.example-phish.top/")})
	data := rar5(t,
		rarEntry{name: "docs", dir: true},
		rarEntry{name: "docs/readme.txt", data: []byte("open https://rar-plain.example-phish.top/a")},
		rarEntry{name: "sample.exe", data: []byte("MZ payload https://rar-enc.example-phish.top/c2"), password: "malware"},
		rarEntry{name: "locked.bin", data: []byte("secret"), password: "not-customary"},
		rarEntry{name: "inner.zip", data: inner},
		rarEntry{name: "../../evil.lnk", data: []byte("x")},
	)
	l, err := ReadRar(data, Limits{MaxDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Members) != 6 {
		t.Fatalf("%d members: %+v", len(l.Members), l.Members)
	}
	if m := find(l, "docs/readme.txt"); m == nil || !strings.Contains(string(m.Data), "rar-plain") {
		t.Errorf("plain member: %+v", m)
	}
	if m := find(l, "sample.exe"); m == nil || !strings.Contains(string(m.Data), "rar-enc") || m.Password != "malware" || !m.Encrypted {
		t.Errorf("member encrypted with a customary password: %+v", m)
	}
	if m := find(l, "locked.bin"); m == nil || m.Data != nil || !strings.Contains(m.Err, "no known password") {
		t.Errorf("member with an unknown password: %+v", m)
	}
	if m := find(l, "inner.zip"); m == nil || m.Nested == nil || find(m.Nested, "deep.txt") == nil {
		t.Errorf("zip in rar: %+v", m)
	}
	if m := find(l, "../../evil.lnk"); m == nil || m.Suspicious == "" {
		t.Errorf("climbing name not flagged: %+v", m)
	}
}

func TestReadRarBounds(t *testing.T) {
	big := bytes.Repeat([]byte("A"), 300<<10)
	data := rar5(t,
		rarEntry{name: "big.bin", data: big},
		rarEntry{name: "small.txt", data: []byte("https://after-big.example/")},
		rarEntry{name: "c.txt", data: []byte("c")},
		rarEntry{name: "d.txt", data: []byte("d")},
	)
	l, err := ReadRar(data, Limits{MaxMemberBytes: 100 << 10, MaxEntries: 3})
	if err != nil {
		t.Fatal(err)
	}
	if m := find(l, "big.bin"); m == nil || m.Data != nil || !strings.Contains(m.Err, "larger than") {
		t.Errorf("member over the cap: %+v", m)
	}
	if m := find(l, "small.txt"); m == nil || m.Data == nil {
		t.Errorf("member after one over the cap: %+v", m)
	}
	if len(l.Members) != 3 || l.Truncated == "" {
		t.Errorf("entry limit: %d members, truncated %q", len(l.Members), l.Truncated)
	}
	if _, err := ReadRar([]byte("Rar!\x1a\x07\x01\x00garbage"), Limits{}); err == nil {
		t.Error("garbage after the signature read without an error")
	}
	tampered := bytes.Clone(data)
	tampered[len(tampered)-40] ^= 0xff
	if l, err := ReadRar(tampered, Limits{}); err == nil {
		for _, m := range l.Members {
			if m.Name == "d.txt" && m.Data != nil && string(m.Data) != "d" {
				t.Errorf("tampered member read as %q", m.Data)
			}
		}
	}
}
