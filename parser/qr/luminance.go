package qr

import (
	"image"

	"github.com/makiuchi-d/gozxing"
)

// luminance returns the grey levels of img, one byte a pixel, row by row,
// transparent pixels on white as a mail client shows them. gozxing's own
// conversion calls At for every pixel; the usual image types of mail
// (JPEG's YCbCr, PNG's RGBA, NRGBA, grey and paletted) are read from their
// pixel arrays instead, several times faster.
//
// The plane of a JPEG or a grey picture is returned itself when its rows
// are packed, not copied: the search only reads it.
func luminance(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		if m.YStride == w && b.Min == m.Rect.Min {
			return m.Y[:w*h]
		}
	case *image.Gray:
		if m.Stride == w && b.Min == m.Rect.Min {
			return m.Pix[:w*h]
		}
	}
	lum := make([]byte, w*h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			copy(lum[y*w:(y+1)*w], m.Y[(y+b.Min.Y-m.Rect.Min.Y)*m.YStride+(b.Min.X-m.Rect.Min.X):])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			copy(lum[y*w:(y+1)*w], m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):])
		}
	case *image.RGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				// Premultiplied: the white under the pixel shows through.
				l := (int(p[0]) + 2*int(p[1]) + int(p[2])) / 4
				lum[y*w+x] = byte(l + (255 - int(p[3])))
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				p := row[4*x : 4*x+4]
				l := (int(p[0]) + 2*int(p[1]) + int(p[2])) / 4
				a := int(p[3])
				lum[y*w+x] = byte((l*a + 255*(255-a)) / 255)
			}
		}
	case *image.Paletted:
		var pal [256]byte
		for i, c := range m.Palette {
			pal[i] = greyOf(c.RGBA())
		}
		for y := 0; y < h; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < w; x++ {
				lum[y*w+x] = pal[row[x]]
			}
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				lum[i] = greyOf(img.At(x, y).RGBA())
				i++
			}
		}
	}
	return lum
}

// greyOf is gozxing's grey level of a 16-bit premultiplied colour, on white.
func greyOf(r, g, b, a uint32) byte {
	l := (r + 2*g + b) * 255 / (4 * 0xffff)
	return byte((l*a + (0xffff-a)*255) / 0xffff)
}

// searchPixels is the size pictures are scaled down to before the search:
// a QR code a phish prints on a page scanned at 300 dpi keeps three pixels
// or more to a module, and the search costs a quarter.
const searchPixels = 4 << 20

// halves says whether a w x h plane is halved before the search.
func halves(w, h int) bool {
	return w*h > searchPixels && w >= 2*minSide && h >= 2*minSide
}

// halve scales a grey plane down by two in each direction, averaging.
func halve(lum []byte, w, h int) ([]byte, int, int) {
	nw, nh := w/2, h/2
	out := make([]byte, nw*nh)
	for y := 0; y < nh; y++ {
		r0, r1 := lum[2*y*w:], lum[(2*y+1)*w:]
		for x := 0; x < nw; x++ {
			out[y*nw+x] = byte((int(r0[2*x]) + int(r0[2*x+1]) + int(r1[2*x]) + int(r1[2*x+1]) + 2) / 4)
		}
	}
	return out, nw, nh
}

func bitmap(img image.Image) (*gozxing.BinaryBitmap, error) {
	b := img.Bounds()
	lum, w, h := luminance(img), b.Dx(), b.Dy()
	for halves(w, h) {
		lum, w, h = halve(lum, w, h)
	}
	bin, err := newHybrid(lum, w, h)
	if err != nil {
		return nil, err
	}
	return gozxing.NewBinaryBitmap(bin)
}
