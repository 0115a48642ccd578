package qr

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// photo is a picture with smooth and sharp parts, w x h.
func photo(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := byte(x * 255 / w)
			if (x/9+y/5)%7 == 0 {
				v = 255 - v
			}
			img.Set(x, y, color.RGBA{v, byte(y * 255 / h), byte((x + y) % 256), 255})
		}
	}
	return img
}

// TestLumaJPEG checks the luma path against image/jpeg's Y plane: within
// one grey level where the inverse DCTs round apart.
func TestLumaJPEG(t *testing.T) {
	grey := func(img image.Image) image.Image {
		g := image.NewGray(img.Bounds())
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				g.Set(x, y, img.At(x, y))
			}
		}
		return g
	}
	tests := []struct {
		name    string
		img     image.Image
		quality int
	}{
		{"colour 4:2:0, 16-aligned", photo(64, 48), 75},
		{"colour, odd size", photo(101, 37), 90},
		{"colour, one block", photo(8, 8), 50},
		{"colour, under a block", photo(5, 3), 100},
		{"grey", grey(photo(77, 61)), 85},
		{"page with a code", flyer(code(t, "https://luma.example-phish.top/", 200)), 70},
		{"quality 100", photo(40, 40), 100},
		{"quality 5", photo(40, 40), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, tt.img, &jpeg.Options{Quality: tt.quality}); err != nil {
				t.Fatal(err)
			}
			got, err := lumaJPEG(buf.Bytes(), false)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := jpeg.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want := luminance(ref)
			b := ref.Bounds()
			if got.Bounds() != b {
				t.Fatalf("bounds %v, want %v", got.Bounds(), b)
			}
			off := 0
			for i, v := range want {
				if d := int(got.Pix[i]) - int(v); d < -1 || d > 1 {
					t.Fatalf("pixel %d,%d: %d, image/jpeg %d", i%b.Dx(), i/b.Dx(), got.Pix[i], v)
				} else if d != 0 {
					off++
				}
			}
			t.Logf("%d of %d pixels one level apart", off, len(want))
		})
	}
}

// TestLumaJPEGFastAC checks that reading an AC code and its coefficient in
// one lookup gives the planes that reading them apart gives, at both
// scales, pixel for pixel.
func TestLumaJPEGFastAC(t *testing.T) {
	imgs := []image.Image{photo(101, 37), photo(640, 480), flyer(code(t, "https://fast.example-phish.top/", 200)), onPhoto(code(t, "https://x.example/", 150))}
	for i, img := range imgs {
		for _, quality := range []int{5, 50, 75, 95, 100} {
			data := encodeQuality(t, img, quality)
			for _, half := range []bool{false, true} {
				got, err := readLuma(&lumaDecoder{data: data, half: half})
				if err != nil {
					t.Fatal(err)
				}
				want, err := readLuma(&lumaDecoder{data: data, half: half, slowAC: true})
				if err != nil {
					t.Fatal(err)
				}
				if got.Rect != want.Rect || !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("picture %d, quality %d, half %v: planes differ", i, quality, half)
				}
			}
		}
	}
}
