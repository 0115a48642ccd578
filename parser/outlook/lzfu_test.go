package outlook

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// token is a literal byte, or, when n > 0, a reference of n bytes at off.
type token struct {
	lit    byte
	off, n int
}

// compressRTF encodes tokens as [MS-OXRTFCP] 2.2.1 says, ending with the
// reference to the write position, and adds the header.
func compressRTF(tokens []token, rawSize int) []byte {
	var data, run []byte
	var ctrl byte
	bit := 0
	w := len(rtfPrebuf)
	flush := func() {
		data = append(data, ctrl)
		data = append(data, run...)
		ctrl, run, bit = 0, nil, 0
	}
	for _, t := range append(tokens, token{off: -1, n: 2}) {
		if t.n == 0 {
			run = append(run, t.lit)
			w++
		} else {
			off := t.off
			if off < 0 { // the end marker
				off = w & 0xFFF
			}
			ctrl |= 1 << bit
			ref := uint16(off<<4 | (t.n - 2))
			run = binary.BigEndian.AppendUint16(run, ref)
			w += t.n
		}
		if bit++; bit == 8 {
			flush()
		}
	}
	if bit > 0 {
		flush()
	}
	hdr := make([]byte, 16)
	binary.LittleEndian.PutUint32(hdr[0:], uint32(12+len(data)))
	binary.LittleEndian.PutUint32(hdr[4:], uint32(rawSize))
	binary.LittleEndian.PutUint32(hdr[8:], compressed)
	binary.LittleEndian.PutUint32(hdr[12:], ^crc32.Update(^uint32(0), crc32.IEEETable, data))
	return append(hdr, data...)
}

func literals(s string) []token {
	var ts []token
	for i := 0; i < len(s); i++ {
		ts = append(ts, token{lit: s[i]})
	}
	return ts
}

func TestDecompressRTF(t *testing.T) {
	if len(rtfPrebuf) != 207 {
		t.Fatalf("prebuf is %d bytes, [MS-OXRTFCP] says 207", len(rtfPrebuf))
	}
	// "{\rtf1\ansi" is the dictionary's first 11 bytes; "lo" repeated
	// overlaps its own output, as LZ77 allows.
	toks := []token{{off: 0, n: 11}}
	toks = append(toks, literals(" hel")...)
	toks = append(toks, token{off: (207 + 11 + 2) & 0xFFF, n: 2}) // "el"
	toks = append(toks, literals("lo}")...)
	want := `{\rtf1\ansi helello}`
	got, err := decompressRTF(compressRTF(toks, len(want)), 1<<20)
	if err != nil || string(got) != want {
		t.Errorf("decompressRTF = %q, %v; want %q", got, err, want)
	}

	// A reference reaching into the bytes it writes repeats them.
	toks = append(literals("ab"), token{off: 207, n: 17}, token{off: 207, n: 16})
	comp := compressRTF(toks, 2+17+16)
	got, err = decompressRTF(comp, 1<<20)
	if want := strings.Repeat("ab", 9) + "a" + strings.Repeat("ab", 8); err != nil || string(got) != want {
		t.Errorf("overlapping references: %q, %v; want %q", got, err, want)
	}

	// The limit is checked before inflating.
	if _, err := decompressRTF(comp, 10); !errors.Is(err, errLimit) {
		t.Errorf("over the limit: err = %v", err)
	}
	// A damaged byte fails the CRC but keeps the text.
	bad := append([]byte(nil), comp...)
	bad[len(bad)-3] ^= 1
	if _, err := decompressRTF(bad, 1<<20); !errors.Is(err, errRTFCRC) {
		t.Errorf("damaged: err = %v", err)
	}
	// "MELA": stored as is.
	mela := make([]byte, 16)
	binary.LittleEndian.PutUint32(mela[0:], 12+5)
	binary.LittleEndian.PutUint32(mela[4:], 5)
	binary.LittleEndian.PutUint32(mela[8:], uncompressed)
	if got, err := decompressRTF(append(mela, "{\\rtf}"...), 1<<20); err != nil || string(got) != "{\\rtf" {
		t.Errorf("MELA: %q, %v", got, err)
	}
	for _, in := range [][]byte{nil, make([]byte, 15), append(make([]byte, 8), "XXXXabcd"...)} {
		if _, err := decompressRTF(in, 1<<20); err == nil {
			t.Errorf("decompressRTF(%q) succeeded", in)
		}
	}
}

func TestHTMLFromRTF(t *testing.T) {
	rtf := `{\rtf1\ansi\ansicpg1252\fromhtml1 \deff0{\fonttbl{\f0\fswiss Arial;}}` +
		`{\*\htmltag19 <html>}{\*\htmltag34 <body>}\htmlrtf {\htmlrtf0 ` +
		`{\*\htmltag84 <a href="http://bad.example/login">}\htmlrtf {\field}\htmlrtf0 Caf\'e9 \u8364?` +
		`{\*\htmltag92 </a>}\par` + "\r\n" + `{\*\htmltag35 </body>}\htmlrtf }\htmlrtf0 {\*\htmltag27 </html>}}`
	want := "<html><body><a href=\"http://bad.example/login\">Café €</a>\r\n</body></html>"
	if got := htmlFromRTF([]byte(rtf)); got != want {
		t.Errorf("htmlFromRTF = %q\nwant %q", got, want)
	}
	if got := htmlFromRTF([]byte(`{\rtf1\ansi plain}`)); got != "" {
		t.Errorf("plain RTF gave %q", got)
	}
}
