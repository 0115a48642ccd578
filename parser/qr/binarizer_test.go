package qr

import (
	"image"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
)

// TestHybridMatchesGozxing checks the black matrix bit for bit against
// gozxing's HybridBinarizer, on sizes that are and are not multiples of the
// block, flat and noisy planes, and a code on a page.
func TestHybridMatchesGozxing(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noise := func(w, h int) []byte {
		p := make([]byte, w*h)
		for i := range p {
			p[i] = byte(rng.IntN(256))
		}
		return p
	}
	flat := func(w, h int) []byte {
		p := make([]byte, w*h)
		for i := range p {
			p[i] = byte(200 + rng.IntN(8)) // under the dynamic range
		}
		return p
	}
	blobs := func(w, h int) []byte {
		// Flat regions of several levels with sharp edges: the neighbour
		// rule of the black points comes into play.
		p := make([]byte, w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p[y*w+x] = byte(((x/13 + y/7) % 4) * 70)
			}
		}
		return p
	}
	page := func() ([]byte, int, int) {
		img := flyer(code(t, "https://binarizer.example-phish.top/", 180))
		b := img.Bounds()
		return luminance(img), b.Dx(), b.Dy()
	}
	pagePix, pw, ph := page()
	tests := []struct {
		name string
		w, h int
		lum  []byte
	}{
		{"noise 40x40", 40, 40, noise(40, 40)},
		{"noise 41x47", 41, 47, noise(41, 47)},
		{"noise 100x63", 100, 63, noise(100, 63)},
		{"noise 257x129", 257, 129, noise(257, 129)},
		{"flat 64x64", 64, 64, flat(64, 64)},
		{"flat 75x90", 75, 90, flat(75, 90)},
		{"blobs 333x211", 333, 211, blobs(333, 211)},
		{"page with a code", pw, ph, pagePix},
		{"small, thresholded globally", 30, 50, noise(30, 50)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ours, err := newHybrid(tt.lum, tt.w, tt.h)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ours.GetBlackMatrix()
			if err != nil {
				t.Fatal(err)
			}
			src, err := gozxing.NewPlanarYUVLuminanceSource(tt.lum, tt.w, tt.h, 0, 0, tt.w, tt.h, false)
			if err != nil {
				t.Fatal(err)
			}
			want, err := gozxing.NewHybridBinarizer(src).GetBlackMatrix()
			if err != nil {
				t.Fatal(err)
			}
			for y := 0; y < tt.h; y++ {
				for x := 0; x < tt.w; x++ {
					if got.Get(x, y) != want.Get(x, y) {
						t.Fatalf("pixel %v: black %v, gozxing %v", image.Pt(x, y), got.Get(x, y), want.Get(x, y))
					}
				}
			}
		})
	}
}

// BenchmarkBinarize compares with gozxing on a page: paper, words and a
// code, as most pictures searched are.
func BenchmarkBinarize(b *testing.B) {
	img := flyer(code(b, "https://binarizer.example-phish.top/", 180))
	lum, w, h := luminance(img), img.Bounds().Dx(), img.Bounds().Dy()
	b.Run("ours", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			bin, _ := newHybrid(lum, w, h)
			bin.GetBlackMatrix()
		}
	})
	b.Run("gozxing", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			src, _ := gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
			gozxing.NewHybridBinarizer(src).GetBlackMatrix()
		}
	})
}
