package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"testing"
)

// TestLumaJPEGHalf compares the half-scale luma with the full one halved:
// the same size, and grey levels apart only where edges are sharp.
func TestLumaJPEGHalf(t *testing.T) {
	tests := []struct {
		name    string
		img     image.Image
		quality int
		mean    float64 // the most mean difference allowed
	}{
		{"colour 4:2:0, 16-aligned", photo(64, 48), 75, 4},
		{"colour, odd size", photo(101, 37), 90, 4},
		{"colour, one block", photo(8, 8), 50, 4},
		{"colour, under a block", photo(5, 3), 100, 4},
		{"two pixels", photo(2, 2), 100, 4},
		{"grey", greyOfImage(photo(77, 61)), 85, 4},
		{"smooth", gradient(333, 211), 90, 1},
		{"page with a code", flyer(code(t, "https://luma.example-phish.top/", 200)), 70, 3},
		{"quality 100", photo(40, 40), 100, 4},
		{"quality 5", photo(40, 40), 5, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeQuality(t, tt.img, tt.quality)
			full, err := lumaJPEG(data, false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := lumaJPEG(data, true)
			if err != nil {
				t.Fatal(err)
			}
			want, w, h := halve(full.Pix, full.Rect.Dx(), full.Rect.Dy())
			if got.Rect != image.Rect(0, 0, w, h) || got.Stride != w {
				t.Fatalf("half plane %v stride %d, want %dx%d", got.Rect, got.Stride, w, h)
			}
			sum, worst := 0, 0
			for i, v := range want {
				d := max(int(got.Pix[i])-int(v), int(v)-int(got.Pix[i]))
				sum += d
				worst = max(worst, d)
			}
			mean := 0.0
			if len(want) > 0 {
				mean = float64(sum) / float64(len(want))
			}
			if mean > tt.mean {
				t.Errorf("mean difference %.2f over %.2f (worst %d)", mean, tt.mean, worst)
			}
			t.Logf("%dx%d: mean difference %.2f, worst %d", w, h, mean, worst)
		})
	}
}

// TestDecodeHalfScale reads codes on pictures big enough to be searched at
// half scale: every code the full decoding halved finds must still be
// found, down to modules of four pixels on the page (two once halved), at
// places on and off the 2x2 and 8x8 grids.
func TestDecodeHalfScale(t *testing.T) {
	phish := "https://m365-auth-verify.example-login.top/?u=jane@hospital.example"
	short := "https://q.example/"
	page := func(w, h, off int, bg image.Image, codes ...image.Image) image.Image {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(img, img.Bounds(), bg, image.Point{}, draw.Src)
		for y := 100; y < 700; y += 40 {
			draw.Draw(img, image.Rect(150, y, w-150, y+18), image.NewUniform(color.Gray{0x50}), image.Point{}, draw.Src)
		}
		x, y := 300+off, 1200+off
		for _, c := range codes {
			r := c.Bounds()
			draw.Draw(img, image.Rect(x, y, x+r.Dx(), y+r.Dy()), c, r.Min, draw.Src)
			x += r.Dx() + 157
		}
		return img
	}
	white := image.NewUniform(color.White)
	tests := []struct {
		name    string
		img     image.Image
		quality int
		want    []string
	}{
		{"scanned page, a big code", page(2480, 3508, 1, white, code(t, phish, 600)), 70, []string{phish}},
		{"scanned page, 6 pixel modules", page(2480, 3508, 3, white, code(t, phish, 260)), 70, []string{phish}},
		{"4 pixel modules", page(2480, 2000, 0, white, code(t, phish, 164)), 90, []string{phish}},
		{"4 pixel modules, off the 8x8 grid", page(2480, 2000, 2, white, code(t, phish, 164)), 40, []string{phish}},
		{"4 pixel modules, a short link", page(2480, 2000, 0, white, code(t, short, 116)), 40, []string{short}},
		{"4 pixel modules, off the 2x2 grid", page(2480, 2000, 1, white, code(t, short, 116)), 90, nil},
		{"odd size", page(2051, 2049, 5, white, code(t, phish, 333)), 60, []string{phish}},
		{"two codes", page(2480, 3508, 7, white, code(t, short, 400), code(t, phish, 400)), 75, []string{short, phish}},
		{"a photo", page(2400, 1800, 0, image.NewUniform(color.RGBA{0xc0, 0x90, 0x60, 0xff}), code(t, phish, 300)), 80, []string{phish}},
		{"low quality", page(2480, 3508, 0, white, code(t, phish, 400)), 20, []string{phish}},
		{"no code", page(2480, 3508, 0, white), 70, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := encodeQuality(t, tt.img, tt.quality)
			b := tt.img.Bounds()
			if !halves(b.Dx(), b.Dy()) {
				t.Fatalf("%v is not searched at half scale", b)
			}
			got, err := Decode(data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			full, err := lumaJPEG(data, false)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := decode(full)
			for _, s := range append(before, tt.want...) {
				if !contains(got, s) {
					t.Errorf("%q not found at half scale: got %q (full decoding %q)", s, got, before)
				}
			}
			for _, s := range got {
				if s != phish && s != short {
					t.Errorf("%q read from no code", s)
				}
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func greyOfImage(img image.Image) image.Image {
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
	return g
}

// gradient is a picture without edges.
func gradient(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{byte(x * 255 / w), byte(y * 255 / h), 128, 255})
		}
	}
	return img
}

func encodeQuality(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(fmt.Errorf("encoding the test JPEG: %w", err))
	}
	return b.Bytes()
}
