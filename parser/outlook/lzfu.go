package outlook

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Compressed RTF, [MS-OXRTFCP]: a 16-byte header, then LZ77 runs that refer
// back into a 4096-byte circular dictionary primed with common RTF text.

// rtfPrebuf is the dictionary's initial content ([MS-OXRTFCP] 2.1.3.1.1).
const rtfPrebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"

// COMPTYPE values of [MS-OXRTFCP] 2.1.3.1.
const (
	compressed   = 0x75465A4C // "LZFu"
	uncompressed = 0x414C454D // "MELA"
)

var errRTFCRC = errors.New("CRC mismatch")

// decompressRTF inflates compressed RTF, refusing to produce more than max
// bytes. A CRC mismatch is reported with the data, which may still be
// useful: the CRC covers the compressed bytes only.
func decompressRTF(b []byte, max int64) ([]byte, error) {
	if len(b) < 16 {
		return nil, fmt.Errorf("header of %d bytes", len(b))
	}
	compSize := binary.LittleEndian.Uint32(b[0:])
	rawSize := binary.LittleEndian.Uint32(b[4:])
	compType := binary.LittleEndian.Uint32(b[8:])
	wantCRC := binary.LittleEndian.Uint32(b[12:])
	if int64(rawSize) > max {
		return nil, fmt.Errorf("%w: %d bytes of RTF", errLimit, rawSize)
	}
	// COMPSIZE counts the bytes after itself: the rest of the header and
	// the data ([MS-OXRTFCP] 2.1.3.1).
	in := b[16:]
	if n := int64(compSize) - 12; n >= 0 && n < int64(len(in)) {
		in = in[:n]
	}
	switch compType {
	case uncompressed:
		if int(rawSize) < len(in) {
			in = in[:rawSize]
		}
		return append([]byte(nil), in...), nil
	case compressed:
	default:
		return nil, fmt.Errorf("unknown compression type %#x", compType)
	}

	var dict [4096]byte
	w := copy(dict[:], rtfPrebuf)
	// A control byte and eight references inflate to at most 8*17 bytes:
	// the declared size is not trusted for the allocation.
	out := make([]byte, 0, min(int64(rawSize), 8*int64(len(in))+64))
	// [MS-OXRTFCP] 2.2.1: each control byte's bits, least significant
	// first, say whether a literal byte (0) or a two-byte reference (1)
	// follows. A reference is big-endian: 12 bits of dictionary offset,
	// 4 bits of length minus 2. A reference to the write position ends
	// the stream.
	for i := 0; i < len(in); {
		ctrl := in[i]
		i++
		for bit := 0; bit < 8 && i < len(in); bit++ {
			if ctrl&(1<<bit) == 0 {
				out = append(out, in[i])
				dict[w] = in[i]
				w = (w + 1) & 0xFFF
				i++
			} else {
				if i+1 >= len(in) {
					return out, errors.New("truncated reference")
				}
				ref := int(in[i])<<8 | int(in[i+1])
				i += 2
				off, n := ref>>4, ref&0xF+2
				if off == w {
					return checkRTF(out, rawSize, in, wantCRC)
				}
				for k := 0; k < n; k++ {
					c := dict[(off+k)&0xFFF]
					out = append(out, c)
					dict[w] = c
					w = (w + 1) & 0xFFF
				}
			}
			if int64(len(out)) > max || len(out) > int(rawSize)+17 {
				return nil, fmt.Errorf("%w: RTF inflates past its declared %d bytes", errLimit, rawSize)
			}
		}
	}
	return checkRTF(out, rawSize, in, wantCRC)
}

// checkRTF trims out to its declared size and checks the CRC of the
// compressed data: CRC-32 with a zero initial value and no final
// inversion ([MS-OXRTFCP] 2.1.3.2).
func checkRTF(out []byte, rawSize uint32, comp []byte, want uint32) ([]byte, error) {
	if uint32(len(out)) > rawSize {
		out = out[:rawSize]
	}
	if got := ^crc32.Update(^uint32(0), crc32.IEEETable, comp); got != want {
		return out, fmt.Errorf("%w: %#x, header says %#x", errRTFCRC, got, want)
	}
	return out, nil
}
