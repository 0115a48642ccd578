package qr

import "math"

// A picture the QR search halves is decoded at half scale: the 4x4 pixels
// of each block sampled between the 8x8 grid's, at (2m+0.5, 2n+0.5), from
// its 4x4 lowest frequencies (the higher ones vanish in the inverse DCT of
// ITU T.81 A.3.3 at those points but for what the halving would average
// away). The cosines become those of a 4-point transform, cos((2m+1)u
// pi/8), with the 8-point scaling kept. The Huffman decoding is the same;
// the inverse DCT costs a quarter, the full plane is never made nor
// halved.

var (
	k1 = float32(math.Cos(1 * math.Pi / 8))
	k3 = float32(math.Cos(3 * math.Pi / 8))
)

// idct4 is the 4-point counterpart of idct8 over x[0], x[s], x[2s], x[3s]:
// the coefficients of the lowest four frequencies of an 8-point block in,
// its samples between pixel pairs out, halved.
func idct4(x []float32, s int) {
	x0, x1, x2, x3 := x[0], x[s], x[2*s], x[3*s]
	p, q := (x0+x2)*r2, (x0-x2)*r2
	o0, o1 := x1*k1+x3*k3, x1*k3-x3*k1
	x[0], x[3*s] = (p+o0)/2, (p-o0)/2
	x[s], x[2*s] = (q+o1)/2, (q-o1)/2
}

// putHalf writes the 4x4 half-scale pixels of a luma block whose top left
// corner is at (x0, y0) of the half plane, clipped to it.
func (d *lumaDecoder) putHalf(coef *[64]int32, last int, x0, y0 int) {
	if x0 >= d.pw || y0 >= d.ph {
		return // padding, or the odd last column or row halve drops
	}
	w, h := min(4, d.pw-x0), min(4, d.ph-y0)
	if last == 0 {
		fill(d.pix, d.pw, x0, y0, w, h, level(float32(coef[0])/8))
		return
	}
	b := &d.samples
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			b[8*y+x] = float32(coef[8*y+x])
		}
	}
	for x := 0; x < 4; x++ {
		if coef[8+x]|coef[16+x]|coef[24+x] == 0 {
			v := b[x] * r2 / 2
			b[x], b[8+x], b[16+x], b[24+x] = v, v, v, v
			continue
		}
		idct4(b[x:], 8)
	}
	for y := 0; y < h; y++ {
		s := (*[4]float32)(b[8*y:])
		idct4(s[:], 1)
		row := d.pix[(y0+y)*d.pw+x0:][:w]
		for x := range row {
			row[x] = level(s[x])
		}
	}
}
