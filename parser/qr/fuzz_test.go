package qr

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

func FuzzDecode(f *testing.F) {
	f.Add(encodePNG(f, code(f, "https://phish.example/login", 120)))
	f.Add(encodeJPEG(f, code(f, "https://phish.example/login", 120)))
	f.Add(bombPNG(1<<20, 1<<20))
	f.Add([]byte("GIF89a"))
	// A small limit keeps each input quick: the fuzzer grows headers.
	lim := Limits{MaxPixels: 512 * 512}
	f.Fuzz(func(t *testing.T, data []byte) {
		texts, err := Decode(data, lim)
		if err != nil && texts != nil {
			t.Fatalf("texts %q with error %v", texts, err)
		}
	})
}

// FuzzLumaJPEG checks that the luma path takes only JPEGs that image/jpeg
// reads too, as grey or YCbCr of the same size, so that it never makes a
// picture searchable that was not; and that at half scale it takes the
// same ones (two pixels wide and high or more), at halve's size; and that
// the one-lookup AC reading changes nothing.
func FuzzLumaJPEG(f *testing.F) {
	f.Add(encodeJPEG(f, code(f, "https://phish.example/login", 120)))
	f.Add(encodeJPEG(f, flyer(code(f, "https://phish.example/login", 64))))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 512*512 {
			return
		}
		g, err := lumaJPEG(data, false)
		h, herr := lumaJPEG(data, true)
		// Each AC code and its bits read apart give the same plane.
		if s, serr := readLuma(&lumaDecoder{data: data, slowAC: true}); (serr == nil) != (err == nil) || err == nil && !bytes.Equal(s.Pix, g.Pix) {
			t.Fatalf("reading AC codes apart: %v, in one lookup: %v, or the planes differ", serr, err)
		}
		if err != nil {
			if herr == nil {
				t.Fatal("half scale took a JPEG the full scale declines")
			}
			return
		}
		if w, ht := g.Rect.Dx(), g.Rect.Dy(); w >= 2 && ht >= 2 {
			if herr != nil {
				t.Fatalf("half scale declined a JPEG the full scale takes: %v", herr)
			}
			if h.Rect != image.Rect(0, 0, w/2, ht/2) || len(h.Pix) != (w/2)*(ht/2) {
				t.Fatalf("half plane %v of %d bytes for %dx%d", h.Rect, len(h.Pix), w, ht)
			}
		}
		ref, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("luma path took a JPEG image/jpeg refuses: %v", err)
		}
		switch ref.(type) {
		case *image.YCbCr, *image.Gray:
		default:
			t.Fatalf("luma path took a JPEG image/jpeg reads as %T", ref)
		}
		if g.Bounds() != ref.Bounds() {
			t.Fatalf("bounds %v, image/jpeg %v", g.Bounds(), ref.Bounds())
		}
	})
}

// FuzzFindTryHarder compares the run-wise finder scan with gozxing's on
// black matrices of arbitrary bits: the first two bytes give the width and
// height (under 100: a periodic matrix of a thousand candidate centres
// keeps gozxing's choice of three busy for seconds), the rest the rows, a
// bit a pixel.
func FuzzFindTryHarder(f *testing.F) {
	f.Add([]byte{40, 30, 0xff, 0x00, 0x81, 0x7e, 0xf0, 0x0f})
	f.Add(append([]byte{21, 21}, bytes.Repeat([]byte{0xfe, 0x82, 0xba, 0xba, 0xba, 0x82, 0xfe}, 12)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		w, h := 1+int(data[0])%100, 1+int(data[1])%100
		m, err := gozxing.NewBitMatrix(w, h)
		if err != nil {
			return
		}
		bits := data[2:]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				k := (y*w + x) % (8 * len(bits))
				if bits[k/8]>>(k%8)&1 == 1 {
					m.Set(x, y)
				}
			}
		}
		sameFind(t, "fuzz", m)
	})
}
