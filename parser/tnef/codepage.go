package tnef

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// defaultCodePage is the code page of 8-bit strings when the stream names
// none: Windows-1252, what Western Outlook installations write.
const defaultCodePage = 1252

// codePages maps Windows code page numbers, as attOemCodepage,
// PidTagMessageCodepage and PidTagInternetCodepage give them, to their
// encodings. UTF-8 (65001) is absent: it needs no decoding.
var codePages = map[uint32]encoding.Encoding{
	437:   charmap.CodePage437,
	850:   charmap.CodePage850,
	852:   charmap.CodePage852,
	866:   charmap.CodePage866,
	874:   charmap.Windows874,
	932:   japanese.ShiftJIS,
	936:   simplifiedchinese.GBK,
	949:   korean.EUCKR,
	950:   traditionalchinese.Big5,
	1250:  charmap.Windows1250,
	1251:  charmap.Windows1251,
	1252:  charmap.Windows1252,
	1253:  charmap.Windows1253,
	1254:  charmap.Windows1254,
	1255:  charmap.Windows1255,
	1256:  charmap.Windows1256,
	1257:  charmap.Windows1257,
	1258:  charmap.Windows1258,
	10000: charmap.Macintosh,
	20866: charmap.KOI8R,
	21866: charmap.KOI8U,
	28591: charmap.ISO8859_1,
	28592: charmap.ISO8859_2,
	28595: charmap.ISO8859_5,
	28597: charmap.ISO8859_7,
	28599: charmap.ISO8859_9,
	28605: charmap.ISO8859_15,
	50220: japanese.ISO2022JP,
	50221: japanese.ISO2022JP,
	50222: japanese.ISO2022JP,
	51932: japanese.EUCJP,
	51936: simplifiedchinese.GBK,
	51949: korean.EUCKR,
	54936: simplifiedchinese.GB18030,
}

var utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)

// text is a string as the stream holds it: 8-bit in a code page that may
// only be known once the stream has been read (PidTagMessageCodepage comes
// in attMAPIProps, after attSubject and attBody), or UTF-16LE.
type text struct {
	b       []byte
	unicode bool
}

func (t text) empty() bool { return len(t.b) == 0 }

// decode returns t as UTF-8, up to its first NUL: strings in TNEF are
// NUL-terminated, and some writers leave garbage after the terminator.
func (t text) decode(cp uint32) string {
	if t.unicode {
		b := t.b
		for i := 0; i+1 < len(b); i += 2 {
			if b[i] == 0 && b[i+1] == 0 {
				b = b[:i]
				break
			}
		}
		out, err := utf16LE.NewDecoder().Bytes(b)
		if err != nil {
			return ""
		}
		return string(out)
	}
	b := t.b
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return decodeCodePage(b, cp)
}

// decodeCodePage decodes b from Windows code page cp to UTF-8. ASCII needs
// no decoding; UTF-8 and unknown code pages keep valid UTF-8 as it is and
// fall back to Windows-1252, which maps every byte to some rune.
func decodeCodePage(b []byte, cp uint32) string {
	if isASCII(b) {
		return string(b)
	}
	enc, ok := codePages[cp]
	if !ok {
		if utf8.Valid(b) {
			return string(b)
		}
		enc = charmap.Windows1252
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(out)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
