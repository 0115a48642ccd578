package qr

import "math"

// Cosines of the inverse DCT (ITU T.81, A.3.3): ck is cos(k pi/16).
var (
	c1 = float32(math.Cos(1 * math.Pi / 16))
	c2 = float32(math.Cos(2 * math.Pi / 16))
	c3 = float32(math.Cos(3 * math.Pi / 16))
	c5 = float32(math.Cos(5 * math.Pi / 16))
	c6 = float32(math.Cos(6 * math.Pi / 16))
	c7 = float32(math.Cos(7 * math.Pi / 16))
	r2 = float32(1 / math.Sqrt2)
)

// idct8 is the one-dimensional inverse DCT of x[0], x[s], ... x[7s], in
// place, halved: two passes give the 1/4 of the two-dimensional one. The
// even coefficients make a 4-point transform, the odd ones a 4x4 product;
// the outputs n and 7-n are their sum and difference.
func idct8(x []float32, s int) {
	x0, x1, x2, x3 := x[0], x[s], x[2*s], x[3*s]
	x4, x5, x6, x7 := x[4*s], x[5*s], x[6*s], x[7*s]
	p, q := (x0+x4)*r2, (x0-x4)*r2
	e0, e1 := x2*c2+x6*c6, x2*c6-x6*c2
	e := [4]float32{p + e0, q + e1, q - e1, p - e0}
	o := [4]float32{
		x1*c1 + x3*c3 + x5*c5 + x7*c7,
		x1*c3 - x3*c7 - x5*c1 - x7*c5,
		x1*c5 - x3*c1 + x5*c7 + x7*c3,
		x1*c7 - x3*c5 + x5*c3 - x7*c1,
	}
	for n := 0; n < 4; n++ {
		x[n*s] = (e[n] + o[n]) / 2
		x[(7-n)*s] = (e[n] - o[n]) / 2
	}
}

// put writes the pixels of a luma block whose top left corner is at
// (x0, y0), clipped to the picture; last is the index, in coding order, of
// its last coded coefficient.
func (d *lumaDecoder) put(coef *[64]int32, last int, x0, y0 int) {
	if x0 >= d.width || y0 >= d.height {
		return // padding of the last MCUs
	}
	w, h := min(8, d.width-x0), min(8, d.height-y0)
	if last == 0 {
		// A flat block, the commonest kind on a page: its DC term alone.
		fill(d.pix, d.width, x0, y0, w, h, level(float32(coef[0])/8))
		return
	}
	b := &d.samples
	for i, c := range coef {
		b[i] = float32(c)
	}
	for x := 0; x < 8; x++ {
		if coef[8+x]|coef[16+x]|coef[24+x]|coef[32+x]|coef[40+x]|coef[48+x]|coef[56+x] == 0 {
			v := b[x] * r2 / 2
			for y := 1; y < 8; y++ {
				b[8*y+x] = v
			}
			b[x] = v
			continue
		}
		idct8(b[x:], 8)
	}
	for y := 0; y < h; y++ {
		s := (*[8]float32)(b[8*y:])
		idct8(s[:], 1)
		row := d.pix[(y0+y)*d.width+x0:][:w]
		for x := range row {
			row[x] = level(s[x])
		}
	}
}

// fill sets the w x h pixels at (x0, y0) of a plane stride pixels wide to v.
func fill(pix []byte, stride, x0, y0, w, h int, v byte) {
	for y := 0; y < h; y++ {
		row := pix[(y0+y)*stride+x0:][:w]
		for x := range row {
			row[x] = v
		}
	}
}

// level shifts a sample back to 0-255 (ITU T.81, A.3.1), rounded.
func level(v float32) byte {
	i := int32(v + 128.5) // truncated: below zero only where v rounds to 0 or less
	if uint32(i) > 255 {
		if i < 0 {
			return 0
		}
		return 255
	}
	return byte(i)
}
