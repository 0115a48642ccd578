package archive

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Traditional PKWARE encryption ("ZipCrypto"), APPNOTE.TXT section 6.1. It
// is weak, which does not matter here: the password of a malware sample is
// a convention to stop accidental opening, not a secret.

var errWrongPassword = errors.New("wrong password")

// zipCrypto holds the three keys of APPNOTE 6.1.5.
type zipCrypto struct {
	k0, k1, k2 uint32
}

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

// crc32Byte is APPNOTE 6.1.5's crc32(crc, c): one byte of CRC-32 without
// the pre- and post-inversion that hash/crc32 applies.
func crc32Byte(crc uint32, c byte) uint32 {
	return crc32.IEEETable[byte(crc)^c] ^ crc>>8
}

// update is APPNOTE 6.1.5's update_keys, fed with a plaintext byte.
func (z *zipCrypto) update(c byte) {
	z.k0 = crc32Byte(z.k0, c)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crc32Byte(z.k2, byte(z.k1>>24))
}

// stream is APPNOTE 6.1.6's decrypt_byte: the next key-stream byte.
func (z *zipCrypto) stream() byte {
	t := z.k2&0xffff | 2
	return byte((t * (t ^ 1)) >> 8)
}

// decrypt deciphers p in place (APPNOTE 6.1.6).
func (z *zipCrypto) decrypt(p []byte) {
	for i, c := range p {
		c ^= z.stream()
		z.update(c)
		p[i] = c
	}
}

// decryptReader deciphers the raw stream of an encrypted member.
type decryptReader struct {
	r io.Reader
	z *zipCrypto
}

func (d *decryptReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	d.z.decrypt(p[:n])
	return n, err
}

// openZipCrypto returns the decrypted, inflated content of f, or
// errWrongPassword when the encryption header's check byte does not match.
func openZipCrypto(f *zip.File, password string) (io.ReadCloser, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, fmt.Errorf("opening raw member: %w", err)
	}
	d := &decryptReader{r: raw, z: newZipCrypto(password)}
	// APPNOTE 6.1.6: 12 bytes of encryption header precede the data; the
	// last one is the high byte of the CRC-32, or, when the sizes and CRC
	// follow in a data descriptor (flag bit 3), Info-ZIP's choice of the
	// high byte of the DOS modification time.
	var hdr [12]byte
	if _, err := io.ReadFull(d, hdr[:]); err != nil {
		return nil, fmt.Errorf("reading encryption header: %w", err)
	}
	check := hdr[11]
	ok := check == byte(f.CRC32>>24)
	if f.Flags&flagDataDescriptor != 0 {
		ok = ok || check == byte(f.ModifiedTime>>8)
	}
	if !ok {
		return nil, errWrongPassword
	}
	switch f.Method {
	case zip.Store:
		return io.NopCloser(d), nil
	case zip.Deflate:
		return flate.NewReader(d), nil
	}
	return nil, fmt.Errorf("unsupported compression method %d", f.Method)
}
