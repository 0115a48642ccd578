// Package qr implements reading the QR codes of an image, for the links
// that "quishing" mails carry as pictures instead of text.
//
// An image is hostile input: a few kilobytes of PNG may declare a picture of
// billions of pixels. Decode reads the dimensions from the header first and
// refuses an image over the pixel limit before decoding a single pixel; the
// decoder (a port of ZXing) is run behind a recover, so a picture that trips
// it is an error, never a crash of the gateway.
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders registered for image.Decode
	_ "image/jpeg"
	_ "image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/multi/qrcode"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// DefaultMaxPixels bounds the images decoded when Limits gives none: a
// full-page scan at 300 dpi (2480 x 3508) fits, a decompression bomb does not.
const DefaultMaxPixels = 12 << 20

// minSide is the smallest side that can hold a QR code: version 1 has 21
// modules. Smaller pictures (tracking pixels, icons) are not decoded.
const minSide = 21

// Limits bound the work Decode does.
type Limits struct {
	// MaxPixels is the largest width x height decoded; zero means
	// DefaultMaxPixels.
	MaxPixels int
}

// ErrTooLarge is returned for an image over Limits.MaxPixels.
var ErrTooLarge = errors.New("qr: image over the pixel limit")

// Decode returns the texts of the QR codes in an encoded image (PNG, JPEG,
// GIF, BMP, TIFF or WebP). An image without a QR code gives no texts and no
// error; an error says the image could not be read.
func Decode(data []byte, lim Limits) (texts []string, err error) {
	max := lim.MaxPixels
	if max <= 0 {
		max = DefaultMaxPixels
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("qr: reading image header: %w", err)
	}
	if cfg.Width < minSide || cfg.Height < minSide {
		return nil, nil
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(max) {
		return nil, fmt.Errorf("%w: %dx%d over %d pixels", ErrTooLarge, cfg.Width, cfg.Height, max)
	}
	defer func() {
		if r := recover(); r != nil {
			texts, err = nil, fmt.Errorf("qr: decoder failed on this image: %v", r)
		}
	}()
	if format == "jpeg" {
		// A picture the search would halve is decoded at half scale.
		if g, err := lumaJPEG(data, halves(cfg.Width, cfg.Height)); err == nil {
			return decode(g)
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("qr: decoding image: %w", err)
	}
	return decode(img)
}

// DecodeImage returns the texts of the QR codes in a decoded image, within
// the same limits as Decode.
func DecodeImage(img image.Image, lim Limits) (texts []string, err error) {
	max := lim.MaxPixels
	if max <= 0 {
		max = DefaultMaxPixels
	}
	b := img.Bounds()
	if int64(b.Dx())*int64(b.Dy()) > int64(max) {
		return nil, fmt.Errorf("%w: %dx%d over %d pixels", ErrTooLarge, b.Dx(), b.Dy(), max)
	}
	defer func() {
		if r := recover(); r != nil {
			texts, err = nil, fmt.Errorf("qr: decoder failed on this image: %v", r)
		}
	}()
	return decode(img)
}

func decode(img image.Image) ([]string, error) {
	b := img.Bounds()
	if b.Dx() < minSide || b.Dy() < minSide {
		return nil, nil
	}
	bmp, err := bitmap(img)
	if err != nil {
		return nil, nil
	}
	if m, err := bmp.GetBlackMatrix(); err == nil {
		if err := census(m); err != nil {
			return nil, fmt.Errorf("%w (%dx%d)", err, b.Dx(), b.Dy())
		}
	}
	var texts []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			texts = append(texts, s)
		}
	}
	// The multi reader finds every code of a picture (a phish may show a
	// decoy beside the real one); the single reader, trying harder, finds
	// the one code of a photo or a skewed scan that the first one misses.
	if results, err := qrcode.NewQRCodeMultiReader().DecodeMultipleWithoutHint(bmp); err == nil {
		for _, r := range results {
			add(r.GetText())
		}
	}
	if len(texts) == 0 {
		hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true}
		if m, err := bmp.GetBlackMatrix(); err == nil {
			if s, err := readTryHarder(m, hints); err == nil {
				add(s)
			}
		}
	}
	return texts, nil
}
