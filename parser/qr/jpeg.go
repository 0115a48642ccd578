package qr

import (
	"errors"
	"image"
)

// The QR search reads only the grey levels of a picture, and a JPEG's luma
// is its grey image. image/jpeg decodes the chroma as well (a third of the
// blocks of a 4:2:0 picture, two thirds at 4:4:4) and runs the full inverse
// DCT on every block, though most blocks of a scanned page are paper with
// a DC term and a few AC terms. lumaJPEG decodes the luma of the common
// kind of JPEG (baseline, Huffman-coded, 8-bit, grey or YCbCr in one
// interleaved scan) and no more; anything else, or anything it finds
// wrong, it leaves to image/jpeg. Its grey levels may differ from
// image/jpeg's by one where the two inverse DCTs round apart.

// errJPEG stands for any reason the luma path declines a JPEG: the picture
// goes to image/jpeg, which decodes it or says what is wrong with it.
var errJPEG = errors.New("qr: JPEG left to image/jpeg")

// JPEG markers (ITU T.81, table B.1).
const (
	mSOF0 = 0xc0 // baseline
	mSOF1 = 0xc1 // extended sequential, Huffman
	mDHT  = 0xc4
	mRST0 = 0xd0
	mRST7 = 0xd7
	mSOI  = 0xd8
	mEOI  = 0xd9
	mSOS  = 0xda
	mDQT  = 0xdb
	mDRI  = 0xdd
	mAPP0 = 0xe0
	mAP14 = 0xee
	mAP15 = 0xef
	mCOM  = 0xfe
)

// zigzag maps the order coefficients are coded in to their row-major place
// in the block (ITU T.81, figure A.6).
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

type jpegComponent struct {
	id, h, v, tq int
	dc, ac       int // Huffman table selectors of the scan
	pred         int32
}

type lumaDecoder struct {
	data          []byte
	pos           int
	width, height int
	comps         []jpegComponent
	quant         [4][64]int32 // in coding (zigzag) order
	quantSet      [4]bool
	huff          [2][4]*huffTable // DC, AC
	restart       int
	jfif          bool
	adobe         bool
	adobeRGB      bool
	pix           []byte
	half          bool // pix is at half scale, pw x ph
	slowAC        bool // no acFast: a code and its bits read apart, for tests
	pw, ph        int
	bits          bitReader
	samples       [64]float32 // the luma block being transformed
}

// lumaJPEG returns the luma plane of data, or errJPEG. A hostile file that
// trips it (an index out of range) is left to image/jpeg like any other
// it declines. At half scale, the plane is halve's size, (w/2) x (h/2),
// each block's 4x4 pixels transformed from its 4x4 lowest frequencies.
func lumaJPEG(data []byte, half bool) (g *image.Gray, err error) {
	return readLuma(&lumaDecoder{data: data, half: half})
}

func readLuma(d *lumaDecoder) (g *image.Gray, err error) {
	defer func() {
		if recover() != nil {
			g, err = nil, errJPEG
		}
	}()
	data := d.data
	if len(data) < 4 || data[0] != 0xff || data[1] != mSOI {
		return nil, errJPEG
	}
	d.pos = 2
	scanned := false
	for {
		marker, err := d.nextMarker()
		if err != nil {
			return nil, err
		}
		if marker == mEOI {
			if !scanned {
				return nil, errJPEG
			}
			return &image.Gray{Pix: d.pix, Stride: d.pw, Rect: image.Rect(0, 0, d.pw, d.ph)}, nil
		}
		if mRST0 <= marker && marker <= mRST7 {
			continue // a stray restart marker, harmless (image/jpeg too)
		}
		seg, err := d.segment()
		if err != nil {
			return nil, err
		}
		switch {
		case marker == mSOF0 || marker == mSOF1:
			err = d.frame(seg)
		case marker == mDHT:
			err = d.tables(seg)
		case marker == mDQT:
			err = d.quantTables(seg)
		case marker == mDRI:
			if len(seg) != 2 {
				return nil, errJPEG
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case marker == mSOS:
			if scanned || d.comps == nil {
				return nil, errJPEG // a second scan: progressive in effect
			}
			err = d.scan(seg)
			scanned = true
		case marker == mAPP0:
			d.jfif = len(seg) >= 5 && string(seg[:5]) == "JFIF\x00"
		case marker == mAP14:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeRGB = true, seg[11] == 0
			}
		case mAPP0 < marker && marker <= mAP15 || marker == mCOM:
		default:
			// Progressive, lossless, arithmetic-coded, hierarchical, or
			// unknown: not this decoder's kind.
			return nil, errJPEG
		}
		if err != nil {
			return nil, err
		}
	}
}

// nextMarker skips to the next marker, past the fill bytes and the junk
// that image/jpeg tolerates before one.
func (d *lumaDecoder) nextMarker() (byte, error) {
	for d.pos+1 < len(d.data) {
		if d.data[d.pos] != 0xff {
			d.pos++
			continue
		}
		m := d.data[d.pos+1]
		d.pos += 2
		if m == 0xff {
			d.pos-- // a fill byte: the next 0xff may start the marker
			continue
		}
		if m == 0 {
			continue // a stuffed byte, not a marker
		}
		return m, nil
	}
	return 0, errJPEG
}

// segment returns the payload of a marker segment and moves past it.
func (d *lumaDecoder) segment() ([]byte, error) {
	if d.pos+2 > len(d.data) {
		return nil, errJPEG
	}
	n := int(d.data[d.pos])<<8 | int(d.data[d.pos+1])
	if n < 2 || d.pos+n > len(d.data) {
		return nil, errJPEG
	}
	seg := d.data[d.pos+2 : d.pos+n]
	d.pos += n
	return seg, nil
}

// frame reads a start of frame, and accepts the layouts image/jpeg
// returns as *image.Gray or *image.YCbCr: for those the luma is the grey
// image the QR search would read.
func (d *lumaDecoder) frame(seg []byte) error {
	if d.comps != nil || len(seg) < 6 || seg[0] != 8 {
		return errJPEG
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	n := int(seg[5])
	if d.width == 0 || d.height == 0 || (n != 1 && n != 3) || len(seg) != 6+3*n {
		return errJPEG
	}
	for i := 0; i < n; i++ {
		c := jpegComponent{id: int(seg[6+3*i]), h: int(seg[7+3*i] >> 4), v: int(seg[7+3*i] & 15), tq: int(seg[8+3*i])}
		if c.tq > 3 || c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h == 3 || c.v == 3 {
			return errJPEG
		}
		for _, o := range d.comps {
			if o.id == c.id {
				return errJPEG
			}
		}
		d.comps = append(d.comps, c)
	}
	if n == 1 {
		d.comps[0].h, d.comps[0].v = 1, 1 // one component is never interleaved
	} else {
		y, cb, cr := d.comps[0], d.comps[1], d.comps[2]
		if y.v == 4 || y.h%cb.h != 0 || y.v%cb.v != 0 || cr.h != cb.h || cr.v != cb.v {
			return errJPEG
		}
		// image/jpeg's rule for an RGB JPEG, which it returns as RGBA.
		if !d.jfif && (d.adobe && d.adobeRGB || y.id == 'R' && cb.id == 'G' && cr.id == 'B') {
			return errJPEG
		}
	}
	if int64(d.width)*int64(d.height) > 1<<28 {
		return errJPEG
	}
	d.pw, d.ph = d.width, d.height
	if d.half {
		if d.width < 2 || d.height < 2 {
			return errJPEG
		}
		d.pw, d.ph = d.width/2, d.height/2
	}
	d.pix = make([]byte, d.pw*d.ph)
	return nil
}

func (d *lumaDecoder) quantTables(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, seg[0]&15
		if tq > 3 || pq > 1 {
			return errJPEG
		}
		size := 64 << pq
		if len(seg) < 1+size {
			return errJPEG
		}
		for i := 0; i < 64; i++ {
			if pq == 0 {
				d.quant[tq][i] = int32(seg[1+i])
			} else {
				d.quant[tq][i] = int32(seg[1+2*i])<<8 | int32(seg[2+2*i])
			}
		}
		d.quantSet[tq] = true
		seg = seg[1+size:]
	}
	return nil
}

func (d *lumaDecoder) tables(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errJPEG
		}
		class, id := seg[0]>>4, seg[0]&15
		if class > 1 || id > 3 {
			return errJPEG
		}
		var counts [16]int
		total := 0
		for i := range counts {
			counts[i] = int(seg[1+i])
			total += counts[i]
		}
		if total == 0 || total > 256 || len(seg) < 17+total {
			return errJPEG
		}
		t, err := newHuffTable(counts, seg[17:17+total])
		if err != nil {
			return err
		}
		d.huff[class][id] = t
		seg = seg[17+total:]
	}
	return nil
}

// scan reads the one scan of the picture, all components interleaved.
func (d *lumaDecoder) scan(seg []byte) error {
	if len(seg) < 1 {
		return errJPEG
	}
	ns := int(seg[0])
	if ns != len(d.comps) || len(seg) != 4+2*ns {
		return errJPEG
	}
	order := make([]int, ns) // scan position -> frame component
	for j := 0; j < ns; j++ {
		id, sel := int(seg[1+2*j]), seg[2+2*j]
		k := -1
		for i, c := range d.comps {
			if c.id == id {
				k = i
			}
		}
		if k < 0 {
			return errJPEG
		}
		c := &d.comps[k]
		c.dc, c.ac = int(sel>>4), int(sel&15)
		if c.dc > 3 || c.ac > 3 || d.huff[0][c.dc] == nil || d.huff[1][c.ac] == nil || !d.quantSet[c.tq] {
			return errJPEG
		}
		order[j] = k
	}
	if ss, se, a := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]; ss != 0 || se != 63 || a != 0 {
		return errJPEG
	}
	y := d.comps[0]
	mcuW, mcuH := 8*y.h, 8*y.v
	mxx, myy := (d.width+mcuW-1)/mcuW, (d.height+mcuH-1)/mcuH
	d.bits = bitReader{data: d.data, pos: d.pos}
	var coef [64]int32
	for mcu, my := 0, 0; my < myy; my++ {
		for mx := 0; mx < mxx; mx, mcu = mx+1, mcu+1 {
			if d.restart > 0 && mcu > 0 && mcu%d.restart == 0 {
				if err := d.restartAt(mcu / d.restart); err != nil {
					return err
				}
			}
			for _, k := range order {
				c := &d.comps[k]
				luma := k == 0
				for by := 0; by < c.v; by++ {
					for bx := 0; bx < c.h; bx++ {
						var q *[64]int32
						if luma {
							q = &d.quant[c.tq]
							coef = [64]int32{}
						}
						n, err := d.block(c, q, &coef)
						if err != nil {
							return err
						}
						switch {
						case !luma:
						case d.half:
							d.putHalf(&coef, n, (mx*c.h+bx)*4, (my*c.v+by)*4)
						default:
							d.put(&coef, n, (mx*c.h+bx)*8, (my*c.v+by)*8)
						}
					}
				}
			}
			if d.bits.overrun() {
				return errJPEG
			}
		}
	}
	d.pos = d.bits.pos
	return nil
}

// restartAt expects restart marker number n (modulo 8) and resets the
// decoder at it.
func (d *lumaDecoder) restartAt(n int) error {
	// The reader stops at the marker, or before the last bytes of the
	// interval when it had bits enough: those are padding.
	p := d.bits.pos
	for p+1 < len(d.data) && (d.data[p] != 0xff || d.data[p+1] == 0 || d.data[p+1] == 0xff) {
		p++
	}
	if p+1 >= len(d.data) || d.data[p+1] != byte(mRST0+(n-1)%8) {
		return errJPEG
	}
	d.bits = bitReader{data: d.data, pos: p + 2}
	for i := range d.comps {
		d.comps[i].pred = 0
	}
	return nil
}

// block decodes one block's coefficients. For the luma (q non-nil) they
// are dequantized into coef in row-major order; it returns the index of
// the last coefficient coded, 0 for a block of its DC term alone. The
// chroma is decoded only to get past it.
func (d *lumaDecoder) block(c *jpegComponent, q *[64]int32, coef *[64]int32) (int, error) {
	br := &d.bits
	t, err := br.decode(d.huff[0][c.dc])
	if err != nil {
		return 0, err
	}
	if t > 11 {
		return 0, errJPEG
	}
	c.pred += br.receive(t)
	if q != nil {
		coef[0] = c.pred * q[0]
	}
	ac := d.huff[1][c.ac]
	last := 0
	for k := 1; k < 64; k++ {
		if !d.slowAC {
			if r, v, ok := br.acFast(ac); ok {
				k += r
				if k > 63 {
					return 0, errJPEG
				}
				if q != nil {
					coef[zigzag[k]] = v * q[k]
					last = k
				}
				continue
			}
		}
		rs, err := br.decode(ac)
		if err != nil {
			return 0, err
		}
		r, s := int(rs>>4), rs&15
		if s == 0 {
			if r != 15 {
				break // end of block
			}
			k += 15
			continue
		}
		k += r
		if k > 63 {
			return 0, errJPEG
		}
		v := br.receive(s)
		if q != nil {
			coef[zigzag[k]] = v * q[k]
			last = k
		}
	}
	return last, nil
}
