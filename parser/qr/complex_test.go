package qr

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// finderTiles is a picture tiled with finder patterns (ISO/IEC 18004
// 6.3.3: a 7x7 dark square ring, a light ring, a 3x3 dark centre), side
// pixels a module, one light module between them: every tile is a
// candidate centre for gozxing's finder.
func finderTiles(tiles, side int) *image.Gray {
	step := 8 * side
	img := image.NewGray(image.Rect(0, 0, tiles*step+side, tiles*step+side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for ty := range tiles {
		for tx := range tiles {
			for y := range 7 {
				for x := range 7 {
					ring := max(abs(x-3), abs(y-3))
					if ring == 2 {
						continue // the light ring
					}
					for dy := range side {
						for dx := range side {
							img.SetGray(side+tx*step+x*side+dx, side+ty*step+y*side+dy, color.Gray{})
						}
					}
				}
			}
		}
	}
	return img
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestTooManyCandidates: a picture made of finder patterns is refused
// with ErrTooComplex, not searched: choosing three of its candidates takes
// time cubic in their number, and a crafted picture within the pixel limit
// could hold a parse for hours. A picture with a few is searched.
func TestTooManyCandidates(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tiles   int
		refused bool
	}{
		{"30x30 finder patterns", 30, true},
		{"3x3 finder patterns", 3, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := png.Encode(&buf, finderTiles(tc.tiles, 1)); err != nil {
				t.Fatal(err)
			}
			_, err := Decode(buf.Bytes(), Limits{})
			if got := errors.Is(err, ErrTooComplex); got != tc.refused {
				t.Errorf("Decode: %v; refused %v, want %v", err, got, tc.refused)
			}
		})
	}
}
