// Package hostile builds mails made to hurt a mail gateway: too many parts,
// nesting without end, huge headers, decompression bombs, patterns that
// bait a backtracking matcher. Tests feed them to the gateway to prove
// DESIGN.md's invariant 5: each is answered in bounded time and memory,
// stored, ticketed with the reason, and the next mail goes on.
package hostile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"strings"
)

// Mail is one hostile mail and the reason the parser must give for it
// (a part of one of its errors), empty when the mail is within limits
// and must simply not hurt.
type Mail struct {
	Name   string
	Raw    []byte
	Reason string
}

func head(name string) string {
	return "From: attacker@evil.example.com\r\nTo: report@league.example\r\n" +
		"Subject: hostile: " + name + "\r\nMessage-ID: <" + strings.ReplaceAll(name, " ", "-") + "@evil.example.com>\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
}

// Mails returns the hostile mails of issue 9, at full size.
func Mails() []Mail {
	return []Mail{
		{"20000 parts", ManyParts(20000), "parts"},
		{"multiparts nested 500 deep, never closed", DeepMultipart(500), "nested more than"},
		{"message/rfc822 nested 200 deep", DeepRFC822(200), "nested more than"},
		{"4 MiB header line", LongHeader(4 << 20), ""},
		{"100000 header fields", ManyFields(100000), ""},
		{"40 MiB attachment", BigAttachment(40 << 20), ""},
		{"200000 URLs", ManyURLs(200000), "indicators"},
		{"broken encodings", BrokenEncodings(), ""},
		{"NUL bytes", NULBytes(), ""},
		{"zip that inflates to 1 GiB", ZipBomb(1024), "limit"},
		{"1 MiB of punctuation", Punctuation(1 << 20), ""},
	}
}

// ManyParts is a flat multipart of n text parts.
func ManyParts(n int) []byte {
	var b bytes.Buffer
	b.WriteString(head("many parts") + "Content-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n", i)
	}
	b.WriteString("--b--\r\n")
	return b.Bytes()
}

// DeepMultipart nests n multiparts, each with its own boundary, and closes
// none: enmime's time doubles with each such level.
func DeepMultipart(n int) []byte {
	var b bytes.Buffer
	b.WriteString(head("deep multipart") + "Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", i-1, i)
	}
	b.WriteString("the bottom\r\n")
	return b.Bytes()
}

// DeepRFC822 wraps a mail in n message/rfc822 layers.
func DeepRFC822(n int) []byte {
	s := "From: inner@evil.example.com\r\nSubject: innermost\r\n\r\nhttp://innermost.evil.example.com/\r\n"
	for i := 0; i < n; i++ {
		s = "From: layer@evil.example.com\r\nContent-Type: message/rfc822\r\n\r\n" + s
	}
	return []byte(head("deep rfc822") + "Content-Type: message/rfc822\r\n\r\n" + s)
}

// LongHeader has one header field of n bytes, unfolded.
func LongHeader(n int) []byte {
	return []byte(head("long header") + "X-Long: " + strings.Repeat("a", n) + "\r\n\r\nbody\r\n")
}

// ManyFields has n header fields.
func ManyFields(n int) []byte {
	var b bytes.Buffer
	b.WriteString(head("many fields"))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "X-F%d: v\r\n", i)
	}
	b.WriteString("\r\nbody\r\n")
	return b.Bytes()
}

// BigAttachment carries n bytes of binary data in base64.
func BigAttachment(n int) []byte {
	data := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3}, n/8)
	return attach(head("big attachment"), "big.bin", "application/octet-stream", data)
}

func attach(h, name, ctype string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(h + "Content-Type: multipart/mixed; boundary=sep\r\n\r\n--sep\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n")
	fmt.Fprintf(&b, "--sep\r\nContent-Type: %s; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", ctype, name, name)
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--sep--\r\n")
	return b.Bytes()
}

// ManyURLs has n distinct URLs in its body.
func ManyURLs(n int) []byte {
	var b bytes.Buffer
	b.WriteString(head("many urls") + "Content-Type: text/plain\r\n\r\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "http://u%d.phish-site.example.net/p\r\n", i)
	}
	return b.Bytes()
}

// BrokenEncodings declares encodings its parts break: base64 with junk,
// quoted-printable with bad escapes, an unknown charset.
func BrokenEncodings() []byte {
	return []byte(head("broken encodings") + "Content-Type: multipart/mixed; boundary=x\r\n\r\n" +
		"--x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8g!!!%%%d29ybGQ=====\r\n" +
		"--x\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbad =ZZ escape =\r\nhttp://qp.evil.example.com/=3\r\n" +
		"--x\r\nContent-Type: text/html; charset=x-no-such-charset\r\n\r\n<a href=\"http://cs.evil.example.com/\">x</a>\r\n" +
		"--x\r\nContent-Type: text/plain; charset=\"utf-8\r\n\r\n\xff\xfe\xfd invalid utf-8\r\n--x--\r\n")
}

// NULBytes has NUL bytes in its header and body.
func NULBytes() []byte {
	return []byte(head("nul") + "X-Nul: a\x00b\r\nContent-Type: text/plain\r\n\r\nhttp://nul\x00.evil.example.com/ \x00\x00\x00 http://after-nul.evil.example.com/\r\n")
}

// ZipBomb attaches a zip whose one member inflates to mib MiB of zeros
// from about one KiB per MiB, built without ever holding the zeros.
func ZipBomb(mib int) []byte {
	zeros := make([]byte, 1<<20)
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	fw.Write(zeros)
	fw.Flush() // blocks end on a byte boundary, none final: they can be repeated
	var tail bytes.Buffer
	fe, _ := flate.NewWriter(&tail, flate.BestCompression)
	fe.Close()
	comp := append(bytes.Repeat(blk.Bytes(), mib), tail.Bytes()...)
	var sum uint32
	for range mib {
		sum = crc32.Update(sum, crc32.IEEETable, zeros)
	}
	var z bytes.Buffer
	w := zip.NewWriter(&z)
	raw, _ := w.CreateRaw(&zip.FileHeader{Name: "zeros.bin", Method: zip.Deflate, CRC32: sum,
		CompressedSize64: uint64(len(comp)), UncompressedSize64: uint64(mib) << 20})
	raw.Write(comp)
	w.Close()
	return attach(head("zip bomb"), "invoice.zip", "application/zip", z.Bytes())
}

// Punctuation is n bytes of the characters an indicator matcher anchors
// on, in runs that would make a backtracking pattern explode.
func Punctuation(n int) []byte {
	unit := "[.]((.)){.}@@:::///hxxp://[[[...]]]a.b.c.d.e.f@@g.h:1:2:3::"
	body := strings.Repeat(unit, n/len(unit)+1)[:n]
	return []byte(head("punctuation") + "Content-Type: text/plain\r\n\r\n" + body + "\r\n")
}
