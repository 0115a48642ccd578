package qr

// bitReader reads the entropy-coded data of a JPEG scan: bytes with 0xff
// stuffed as 0xff 0x00 (ITU T.81, F.1.2.3), up to the marker that ends
// the segment. Past the marker it reads zeros, counted as padding: a block
// that needs them is corrupt.
type bitReader struct {
	data []byte
	pos  int    // next byte to load
	acc  uint64 // bits not yet read, the next one highest
	n    uint   // bits in acc
	pad  uint   // of those, bits past the end of the segment
	end  bool   // the segment's end is reached
}

// fill loads bytes until acc holds 57 bits or more.
func (b *bitReader) fill() {
	for b.n <= 56 {
		var c byte
		switch {
		case b.end:
			b.pad += 8
		case b.pos >= len(b.data):
			b.end = true
			b.pad += 8
		case b.data[b.pos] != 0xff:
			c = b.data[b.pos]
			b.pos++
		case b.pos+1 < len(b.data) && b.data[b.pos+1] == 0:
			c = 0xff
			b.pos += 2
		default:
			b.end = true // a marker: b.pos stays on it
			b.pad += 8
		}
		b.acc |= uint64(c) << (56 - b.n)
		b.n += 8
	}
}

// overrun says whether padding was read as data.
func (b *bitReader) overrun() bool { return b.n < b.pad }

// receive reads s bits as a coefficient (ITU T.81, F.2.2.1 EXTEND).
func (b *bitReader) receive(s uint8) int32 {
	if s == 0 {
		return 0
	}
	if b.n < uint(s) {
		b.fill()
	}
	v := int32(b.acc >> (64 - uint(s)))
	b.acc <<= s
	b.n -= uint(s)
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// lutBits is the length of the codes a huffTable decodes with one lookup:
// nearly all codes of real pictures are this short or shorter.
const lutBits = 9

// huffTable is a canonical Huffman code (ITU T.81, annex C).
type huffTable struct {
	lut [1 << lutBits]uint16 // symbol<<8 | length, 0 for longer codes
	// ac is, for an AC table, what the next lutBits bits decode to when
	// they hold a code and all the bits of its coefficient: value<<8 |
	// run<<4 | bits used, 0 for the others (EOB and ZRL among them).
	ac      [1 << lutBits]int32
	maxCode [17]int32 // the largest code of each length, -1 if none
	valPtr  [17]int32 // where the symbols of each length start
	minCode [17]int32
	symbols []byte
}

func newHuffTable(counts [16]int, symbols []byte) (*huffTable, error) {
	t := &huffTable{symbols: symbols}
	code, k := int32(0), int32(0)
	for l := 1; l <= 16; l++ {
		n := int32(counts[l-1])
		t.valPtr[l], t.minCode[l], t.maxCode[l] = k, code, -1
		if n > 0 {
			t.maxCode[l] = code + n - 1
		}
		for i := int32(0); i < n; i++ {
			if l <= lutBits {
				base := code << (lutBits - l)
				for j := int32(0); j < 1<<(lutBits-l); j++ {
					t.lut[base+j] = uint16(symbols[k])<<8 | uint16(l)
				}
			}
			code++
			k++
		}
		if code > 1<<l {
			return nil, errJPEG // more codes than the length can hold
		}
		code <<= 1
	}
	for p, e := range t.lut {
		l, rs := int(e&0xff), int(e>>8)
		r, size := rs>>4, rs&15
		if l == 0 || size == 0 || l+size > lutBits {
			continue
		}
		v := int32(p>>(lutBits-l-size)) & (1<<size - 1)
		if v < 1<<(size-1) {
			v += -1<<size + 1 // EXTEND (ITU T.81, F.2.2.1)
		}
		t.ac[p] = v<<8 | int32(r)<<4 | int32(l+size)
	}
	return t, nil
}

// acFast reads, when the next bits hold it whole, an AC code and its
// coefficient: the bits decode and receive would take, in one lookup.
// It returns the run of zeros before the coefficient and its value; ok is
// false, and nothing is read, for any other code.
func (b *bitReader) acFast(t *huffTable) (run int, v int32, ok bool) {
	if b.n < 16 {
		b.fill()
	}
	e := t.ac[b.acc>>(64-lutBits)]
	if e == 0 {
		return 0, 0, false
	}
	l := uint(e & 15)
	b.acc <<= l
	b.n -= l
	return int(e>>4) & 15, e >> 8, true
}

// decode reads one symbol.
func (b *bitReader) decode(t *huffTable) (uint8, error) {
	if b.n < 16 {
		b.fill()
	}
	if e := t.lut[b.acc>>(64-lutBits)]; e != 0 {
		l := uint(e & 0xff)
		b.acc <<= l
		b.n -= l
		return uint8(e >> 8), nil
	}
	for l := lutBits + 1; l <= 16; l++ {
		code := int32(b.acc >> (64 - uint(l)))
		if code <= t.maxCode[l] {
			b.acc <<= uint(l)
			b.n -= uint(l)
			return t.symbols[t.valPtr[l]+code-t.minCode[l]], nil
		}
	}
	return 0, errJPEG
}
