package pdf

import (
	"bytes"
	"compress/zlib"
	"io"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// rows calls each with the samples of every row of a w x h picture of
// comps 8-bit components, top to bottom; row is reused between calls. It
// returns false, having called each for some rows or none, when the
// stream cannot be read as such a picture.
//
// pdfcpu inflates a stream into a bytes.Buffer grown as it goes and
// undoes a PNG predictor a row at a time through a Writer: on a scanned
// page those copies and the growing cost more than the inflating. A
// picture whose last filter is FlateDecode is therefore inflated here one
// row at a time; anything the fast path does not take as it is (another
// filter, a TIFF predictor, a truncated stream, bytes after the last row,
// a wrong checksum, a picture near the budget) is decoded by pdfcpu as
// before, so that a picture is kept, and read, exactly as pdfcpu would.
func (r *reader) rows(sd *types.StreamDict, w, h, comps int, each func(y int, row []byte)) bool {
	if ok := r.inflateRows(sd, w, h, comps, each); ok {
		return true
	}
	b, ok := r.decode(sd)
	stride := w * comps
	if !ok || len(b) < stride*h {
		return false
	}
	for y := 0; y < h; y++ {
		each(y, b[y*stride:(y+1)*stride])
	}
	return true
}

// Predictor values of a FlateDecode filter (ISO 32000-1, table 8): none,
// and the PNG ones, the row filter written before each row.
const (
	predictorNone   = 1
	predictorPNG    = 10
	predictorPNGMax = 15
)

// PNG row filter types (RFC 2083, 6).
const (
	rowNone = iota
	rowSub
	rowUp
	rowAverage
	rowPaeth
)

// inflateRows is the fast path of rows, for the streams it can read
// exactly as pdfcpu does; it counts the samples against the budget.
func (r *reader) inflateRows(sd *types.StreamDict, w, h, comps int, each func(y int, row []byte)) bool {
	fpl := sd.FilterPipeline
	if sd.Content != nil || len(fpl) == 0 || fpl[len(fpl)-1].Name != filter.Flate {
		return false
	}
	stride := w * comps
	need := int64(stride) * int64(h)
	left := r.lim.MaxDecodedBytes - r.decoded
	if need >= left {
		return false
	}
	parms := intParms(fpl[len(fpl)-1].DecodeParms)
	png := false
	switch p, ok := parms["Predictor"]; {
	case !ok || p == predictorNone:
	case p >= predictorPNG && p <= predictorPNGMax:
		// The row layout is the parameters', not the picture's: they
		// must agree for the rows to be the picture's.
		if orOne(parms, "Colors") != comps || orOne(parms, "Columns") != w {
			return false
		}
		if bpc, ok := parms["BitsPerComponent"]; ok && bpc != 8 {
			return false
		}
		png = true
	default:
		return false
	}
	var in io.Reader = bytes.NewReader(sd.Raw)
	for _, f := range fpl[:len(fpl)-1] {
		// Text encodings of the compressed bytes, as some producers write
		// them; any other filter before Flate is pdfcpu's to decode.
		if f.Name != filter.ASCII85 && f.Name != filter.ASCIIHex {
			return false
		}
		fi, err := filter.NewFilter(f.Name, nil, left)
		if err != nil {
			return false
		}
		if in, err = fi.Decode(in); err != nil {
			return false
		}
	}
	zr, err := zlib.NewReader(in)
	if err != nil {
		return false
	}
	defer zr.Close()
	n := stride
	if png {
		n++
	}
	cur, prev := make([]byte, n), make([]byte, n)
	for y := 0; y < h; y++ {
		if _, err := io.ReadFull(zr, cur); err != nil {
			return false
		}
		row := cur
		if png {
			row = cur[1:]
			if !unfilter(cur[0], row, prev[1:], comps) {
				return false
			}
		}
		each(y, row)
		cur, prev = prev, cur
	}
	// Reading on to the end checks the Adler-32 of the stream, which
	// pdfcpu refuses a picture for.
	var extra [1]byte
	if _, err := io.ReadFull(zr, extra[:]); err != io.EOF {
		return false
	}
	r.decoded += need
	return true
}

// intParms reads a DecodeParms dictionary as pdfcpu does: its integer and
// boolean entries.
func intParms(d types.Dict) map[string]int {
	m := map[string]int{}
	for k, v := range d {
		switch v := v.(type) {
		case types.Integer:
			m[k] = v.Value()
		case types.Boolean:
			m[k] = 0
			if v.Value() {
				m[k] = 1
			}
		}
	}
	return m
}

// orOne is a parameter whose default is 1 (Colors, Columns).
func orOne(parms map[string]int, key string) int {
	if v, ok := parms[key]; ok {
		return v
	}
	return 1
}

// unfilter undoes the PNG filter of one row in place (RFC 2083, 6.3-6.6):
// prev is the row above, already unfiltered, and bpp the bytes a pixel.
// An unknown filter type is no PNG row: it returns false.
func unfilter(kind byte, row, prev []byte, bpp int) bool {
	switch kind {
	case rowNone:
	case rowSub:
		for i := bpp; i < len(row); i++ {
			row[i] += row[i-bpp]
		}
	case rowUp:
		for i, p := range prev[:len(row)] {
			row[i] += p
		}
	case rowAverage:
		for i := 0; i < bpp && i < len(row); i++ {
			row[i] += prev[i] / 2
		}
		for i := bpp; i < len(row); i++ {
			row[i] += byte((int(row[i-bpp]) + int(prev[i])) / 2)
		}
	case rowPaeth:
		for i := 0; i < bpp && i < len(row); i++ {
			// Nothing to the left: the predictor is the byte above.
			row[i] += prev[i]
		}
		for i := bpp; i < len(row); i++ {
			row[i] += paeth(row[i-bpp], prev[i], prev[i-bpp])
		}
	default:
		return false
	}
	return true
}

// paeth is the predictor of RFC 2083, 6.6: of left, above and upper left,
// the one nearest to left + above - upper left, ties in that order.
func paeth(a, b, c byte) byte {
	pa := abs(int(b) - int(c))
	pb := abs(int(a) - int(c))
	pc := abs(int(a) + int(b) - 2*int(c))
	if pa <= pb && pa <= pc {
		return a
	}
	if pb <= pc {
		return b
	}
	return c
}

// abs is branch-free: on a scanned page the signs are noise, and a
// mispredicted branch a byte costs more than the arithmetic.
func abs(x int) int {
	m := x >> (strconv.IntSize - 1)
	return (x ^ m) - m
}
