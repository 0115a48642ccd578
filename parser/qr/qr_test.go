package qr

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// code draws a QR code of text, side pixels wide, as gozxing's writer
// makes it.
func code(t testing.TB, text string, side int) image.Image {
	t.Helper()
	m, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, side, side, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// flyer puts codes on a page, the way a phish shows a code below its
// text: a white canvas with grey blocks standing for the words.
func flyer(codes ...image.Image) image.Image {
	page := image.NewRGBA(image.Rect(0, 0, 900, 700))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	for y := 20; y < 120; y += 20 {
		draw.Draw(page, image.Rect(40, y, 700, y+10), image.NewUniform(color.Gray{0x60}), image.Point{}, draw.Src)
	}
	x := 40
	for _, c := range codes {
		r := c.Bounds()
		draw.Draw(page, image.Rect(x, 200, x+r.Dx(), 200+r.Dy()), c, r.Min, draw.Src)
		x += r.Dx() + 80
	}
	return page
}

// onPhoto puts a code in the corner of a colourful picture, as a phish
// pastes one on a product shot.
func onPhoto(c image.Image) image.Image {
	img := photo(640, 480)
	r := c.Bounds()
	draw.Draw(img, image.Rect(400, 240, 400+r.Dx(), 240+r.Dy()), c, r.Min, draw.Src)
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 70}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid PNG signature and header that declares w x h pixels,
// with no pixel data: what a decompression bomb looks like to DecodeConfig.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestDecode(t *testing.T) {
	phish := "https://m365-auth-verify.example-login.top/?u=jane@hospital.example"
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"png code alone", encodePNG(t, code(t, phish, 250)), []string{phish}},
		{"jpeg code on a flyer", encodeJPEG(t, flyer(code(t, phish, 300))), []string{phish}},
		{"jpeg code of small modules", encodeJPEG(t, flyer(code(t, phish, 110))), []string{phish}},
		{"jpeg code in a photo", encodeJPEG(t, onPhoto(code(t, phish, 200))), []string{phish}},
		{"two codes on a page", encodePNG(t, flyer(code(t, "https://decoy.example/", 250), code(t, phish, 250))), []string{"https://decoy.example/", phish}},
		{"no code", encodePNG(t, flyer()), nil},
		{"icon too small to hold a code", encodePNG(t, image.NewGray(image.Rect(0, 0, 16, 16))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode(tt.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !sameSet(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	if _, err := Decode(bombPNG(100000, 100000), Limits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("bomb header: got %v, want ErrTooLarge", err)
	}
	big := encodePNG(t, code(t, "https://x.example/", 400))
	if _, err := Decode(big, Limits{MaxPixels: 300 * 300}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("400x400 over a 300x300 limit: got %v, want ErrTooLarge", err)
	}
	if _, err := Decode([]byte("not an image"), Limits{}); err == nil {
		t.Error("text read as an image")
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, s := range a {
		m[s] = true
	}
	for _, s := range b {
		if !m[s] {
			return false
		}
	}
	return true
}

func TestLuminanceMatchesGozxing(t *testing.T) {
	// The fast paths give the grey levels gozxing's own conversion gives,
	// within rounding, for each image type they read.
	src := flyer(code(t, "https://x.example/", 120))
	var imgs []image.Image
	rgba := src.(*image.RGBA)
	imgs = append(imgs, rgba)
	nrgba := image.NewNRGBA(rgba.Bounds())
	draw.Draw(nrgba, nrgba.Bounds(), rgba, image.Point{}, draw.Src)
	gray := image.NewGray(rgba.Bounds())
	draw.Draw(gray, gray.Bounds(), rgba, image.Point{}, draw.Src)
	jp, err := jpeg.Decode(bytes.NewReader(encodeJPEG(t, rgba)))
	if err != nil {
		t.Fatal(err)
	}
	imgs = append(imgs, nrgba, gray, jp, rgba.SubImage(image.Rect(30, 190, 300, 400)))
	for _, img := range imgs {
		want := gozxing.NewLuminanceSourceFromImage(img).GetMatrix()
		got := luminance(img)
		if len(got) != len(want) {
			t.Fatalf("%T: %d bytes, want %d", img, len(got), len(want))
		}
		for i := range got {
			if d := int(got[i]) - int(want[i]); d > 20 || d < -20 {
				t.Fatalf("%T: pixel %d grey %d, gozxing %d", img, i, got[i], want[i])
			}
		}
	}
}

func TestDecodeScannedPage(t *testing.T) {
	// An A4 page scanned at 300 dpi with a 2.5 cm code: searched at a
	// quarter of its pixels, still found.
	page := image.NewGray(image.Rect(0, 0, 2480, 3508))
	draw.Draw(page, page.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	c := code(t, "https://scanned-page.example-phish.top/", 300)
	draw.Draw(page, image.Rect(1900, 3000, 2200, 3300), c, image.Point{}, draw.Src)
	got, err := Decode(encodeJPEG(t, page), Limits{})
	if err != nil || !sameSet(got, []string{"https://scanned-page.example-phish.top/"}) {
		t.Errorf("got %q, %v", got, err)
	}
}
