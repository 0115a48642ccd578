package qr

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
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
// same ones (two pixels wide and high or more), at halve's size.
func FuzzLumaJPEG(f *testing.F) {
	f.Add(encodeJPEG(f, code(f, "https://phish.example/login", 120)))
	f.Add(encodeJPEG(f, flyer(code(f, "https://phish.example/login", 64))))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width*cfg.Height > 512*512 {
			return
		}
		g, err := lumaJPEG(data, false)
		h, herr := lumaJPEG(data, true)
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
