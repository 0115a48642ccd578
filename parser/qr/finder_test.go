package qr

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math/rand/v2"
	"testing"

	"github.com/makiuchi-d/gozxing"
	single "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// sameFind checks findTryHarder against gozxing's FinderPatternFinder
// trying harder on one black matrix: the same patterns or the same
// failure, then the same text read.
func sameFind(t *testing.T, name string, m *gozxing.BitMatrix) {
	t.Helper()
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
	got, gerr := findTryHarder(m)
	if errors.Is(gerr, ErrTooComplex) {
		return // gozxing's own Find would take cubic time: not compared
	}
	want, werr := detector.NewFinderPatternFinder(m, nil).Find(hints)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: error %v, gozxing's %v", name, gerr, werr)
	}
	if werr == nil {
		if g, w := patterns(got), patterns(want); g != w {
			t.Fatalf("%s: patterns\n%s\ngozxing's\n%s", name, g, w)
		}
	}
	bmp, err := gozxing.NewBinaryBitmap(fixedMatrix{m})
	if err != nil {
		t.Fatal(err)
	}
	wantText := ""
	if r, err := single.NewQRCodeReader().Decode(bmp, hints); err == nil {
		wantText = r.GetText()
	}
	gotText, _ := readTryHarder(m, hints)
	if gotText != wantText {
		t.Fatalf("%s: read %q, gozxing's reader %q", name, gotText, wantText)
	}
}

func patterns(info *detector.FinderPatternInfo) string {
	s := ""
	for _, p := range []*detector.FinderPattern{info.GetBottomLeft(), info.GetTopLeft(), info.GetTopRight()} {
		s += fmt.Sprintf("(%v, %v) size %v count %d\n", p.GetX(), p.GetY(), p.GetEstimatedModuleSize(), p.GetCount())
	}
	return s
}

// fixedMatrix is a binarizer that gives a black matrix made beforehand.
type fixedMatrix struct{ m *gozxing.BitMatrix }

func (f fixedMatrix) GetLuminanceSource() gozxing.LuminanceSource { return nil }
func (f fixedMatrix) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return f.m.GetRow(y, row), nil
}
func (f fixedMatrix) GetBlackMatrix() (*gozxing.BitMatrix, error)               { return f.m, nil }
func (f fixedMatrix) CreateBinarizer(gozxing.LuminanceSource) gozxing.Binarizer { return f }
func (f fixedMatrix) GetWidth() int                                             { return f.m.GetWidth() }
func (f fixedMatrix) GetHeight() int                                            { return f.m.GetHeight() }

func blackMatrix(t *testing.T, img image.Image) *gozxing.BitMatrix {
	t.Helper()
	bmp, err := bitmap(img)
	if err != nil {
		t.Fatal(err)
	}
	m, err := bmp.GetBlackMatrix()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFindTryHarder compares the run-wise scan with gozxing's on pictures
// with codes, without, with several and skewed, and on random matrices.
func TestFindTryHarder(t *testing.T) {
	phish := "https://m365-auth-verify.example-login.top/?u=jane@hospital.example"
	rotated := func(img image.Image, slope float64) image.Image {
		b := img.Bounds()
		out := image.NewGray(image.Rect(0, 0, b.Dx()+int(slope*float64(b.Dy()))+40, b.Dy()+40))
		draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				out.Set(x+int(slope*float64(y))+20, y+20, img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
		return out
	}
	imgs := map[string]image.Image{
		"code":             code(t, phish, 250),
		"small modules":    flyer(code(t, phish, 110)),
		"flyer":            flyer(code(t, phish, 300)),
		"no code":          flyer(),
		"photo":            onPhoto(code(t, phish, 200)),
		"photo, no code":   photo(640, 480),
		"two codes":        flyer(code(t, "https://decoy.example/", 250), code(t, phish, 250)),
		"three codes":      flyer(code(t, "https://a.example/", 200), code(t, "https://b.example/", 200), code(t, phish, 200)),
		"sheared":          rotated(code(t, phish, 240), 0.15),
		"sheared strongly": rotated(code(t, phish, 240), 0.45),
		"wide and low":     photo(2481, 390),
	}
	for name, img := range imgs {
		sameFind(t, name, blackMatrix(t, img))
	}
	// Random matrices of blocks, with finder-like runs here and there.
	rng := rand.New(rand.NewPCG(18004, 3))
	for k := 0; k < 300; k++ {
		w, h := 21+rng.IntN(200), 21+rng.IntN(200)
		m, err := gozxing.NewBitMatrix(w, h)
		if err != nil {
			t.Fatal(err)
		}
		cell := 1 + rng.IntN(6)
		density := rng.Float64()
		for y := 0; y < h; y += cell {
			for x := 0; x < w; x += cell {
				if rng.Float64() < density {
					m.SetRegion(x, y, min(cell, w-x), min(cell, h-y))
				}
			}
		}
		for n := rng.IntN(5); n > 0; n-- {
			s := 1 + rng.IntN(5)
			x, y := rng.IntN(max(1, w-7*s)), rng.IntN(max(1, h-7*s))
			finder(m, x, y, s)
		}
		sameFind(t, fmt.Sprintf("random %d", k), m)
	}
}

// finder draws a finder pattern of s-pixel modules at (x, y), clipped.
func finder(m *gozxing.BitMatrix, x, y, s int) {
	for i := 0; i < 7; i++ {
		for j := 0; j < 7; j++ {
			ring := min(i, j, 6-i, 6-j)
			for dy := 0; dy < s; dy++ {
				for dx := 0; dx < s; dx++ {
					px, py := x+j*s+dx, y+i*s+dy
					if px >= m.GetWidth() || py >= m.GetHeight() {
						continue
					}
					if ring != 1 {
						m.Set(px, py)
					} else {
						m.Unset(px, py)
					}
				}
			}
		}
	}
}
