package pdf

import (
	"bytes"
	"encoding/ascii85"
	"math/rand/v2"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// pngFilter writes rows of bpp-byte pixels with the PNG row filter kind
// (kind 5 cycles through the five), the inverse of unfilter.
func pngFilter(pix []byte, w, h, bpp int, kind byte) []byte {
	stride := w * bpp
	var out []byte
	prev := make([]byte, stride)
	for y := 0; y < h; y++ {
		row := pix[y*stride : (y+1)*stride]
		k := kind
		if k == 5 {
			k = byte(y % 5)
		}
		out = append(out, k)
		for i := range row {
			var a, c byte
			if i >= bpp {
				a, c = row[i-bpp], prev[i-bpp]
			}
			b := prev[i]
			var pred byte
			switch k {
			case rowSub:
				pred = a
			case rowUp:
				pred = b
			case rowAverage:
				pred = byte((int(a) + int(b)) / 2)
			case rowPaeth:
				pred = paeth(a, b, c)
			}
			out = append(out, row[i]-pred)
		}
		prev = row
	}
	return out
}

func pictureStream(raw []byte, filters []string, parms types.Dict) types.StreamDict {
	var fpl []types.PDFFilter
	for i, f := range filters {
		pf := types.PDFFilter{Name: f}
		if i == len(filters)-1 {
			pf.DecodeParms = parms
		}
		fpl = append(fpl, pf)
	}
	return types.StreamDict{Dict: types.Dict{}, Raw: raw, FilterPipeline: fpl}
}

// TestInflateRows checks that the fast path reads a picture stream to the
// same samples as pdfcpu, and leaves to pdfcpu the streams it would read
// otherwise: those are still read, by pdfcpu, as before.
func TestInflateRows(t *testing.T) {
	const w, h = 37, 13
	rng := rand.New(rand.NewPCG(1, 2))
	pixels := func(bpp int) []byte {
		p := make([]byte, w*h*bpp)
		for i := range p {
			p[i] = byte(rng.IntN(256))
		}
		return p
	}
	png := func(bpp int) types.Dict {
		return types.Dict{"Predictor": types.Integer(15), "Colors": types.Integer(bpp), "Columns": types.Integer(w)}
	}
	grey, rgb := pixels(1), pixels(3)
	checksumOff := deflate(grey)
	checksumOff[len(checksumOff)-1] ^= 1
	var a85 bytes.Buffer
	enc := ascii85.NewEncoder(&a85)
	enc.Write(deflate(pngFilter(rgb, w, h, 3, 5)))
	enc.Close()
	a85.WriteString("~>")

	tests := []struct {
		name  string
		comps int
		want  []byte
		sd    types.StreamDict
		fast  bool // read by inflateRows, not pdfcpu
		keeps bool // the picture is read at all
	}{
		{"grey, no predictor", 1, grey, pictureStream(deflate(grey), []string{"FlateDecode"}, nil), true, true},
		{"grey, predictor 1", 1, grey, pictureStream(deflate(grey), []string{"FlateDecode"}, types.Dict{"Predictor": types.Integer(1)}), true, true},
		{"rgb, no predictor", 3, rgb, pictureStream(deflate(rgb), []string{"FlateDecode"}, nil), true, true},
		{"grey, PNG none", 1, grey, pictureStream(deflate(pngFilter(grey, w, h, 1, rowNone)), []string{"FlateDecode"}, png(1)), true, true},
		{"grey, PNG sub", 1, grey, pictureStream(deflate(pngFilter(grey, w, h, 1, rowSub)), []string{"FlateDecode"}, png(1)), true, true},
		{"rgb, PNG up", 3, rgb, pictureStream(deflate(pngFilter(rgb, w, h, 3, rowUp)), []string{"FlateDecode"}, png(3)), true, true},
		{"rgb, PNG average", 3, rgb, pictureStream(deflate(pngFilter(rgb, w, h, 3, rowAverage)), []string{"FlateDecode"}, png(3)), true, true},
		{"rgb, PNG paeth", 3, rgb, pictureStream(deflate(pngFilter(rgb, w, h, 3, rowPaeth)), []string{"FlateDecode"}, png(3)), true, true},
		{"rgb, PNG mixed rows", 3, rgb, pictureStream(deflate(pngFilter(rgb, w, h, 3, 5)), []string{"FlateDecode"}, png(3)), true, true},
		{"rgb, ASCII85 then Flate", 3, rgb, pictureStream(a85.Bytes(), []string{"ASCII85Decode", "FlateDecode"}, png(3)), true, true},
		{"bytes after the last row", 1, grey, pictureStream(deflate(append(append([]byte{}, grey...), 0)), []string{"FlateDecode"}, nil), false, true},
		{"TIFF predictor", 1, nil, pictureStream(deflate(grey), []string{"FlateDecode"}, types.Dict{"Predictor": types.Integer(2)}), false, true},
		{"columns not the width", 1, nil, pictureStream(deflate(pngFilter(grey, w, h, 1, rowUp)), []string{"FlateDecode"}, types.Dict{"Predictor": types.Integer(12), "Columns": types.Integer(w + 1)}), false, false},
		{"wrong checksum", 1, nil, pictureStream(checksumOff, []string{"FlateDecode"}, nil), false, false},
		{"truncated", 1, nil, pictureStream(deflate(grey[:len(grey)/2]), []string{"FlateDecode"}, nil), false, false},
		{"unknown row filter", 1, nil, pictureStream(deflate(bytes.Repeat([]byte{7}, (w+1)*h)), []string{"FlateDecode"}, png(1)), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			read := func(f func(*reader, *types.StreamDict, func(int, []byte)) bool) ([]byte, bool, int64) {
				r := &reader{lim: Limits{}.withDefaults(), doc: &Document{}}
				sd := tt.sd
				out := make([]byte, w*h*tt.comps)
				ok := f(r, &sd, func(y int, row []byte) { copy(out[y*w*tt.comps:], row) })
				return out, ok, r.decoded
			}
			_, fast, _ := read(func(r *reader, sd *types.StreamDict, each func(int, []byte)) bool {
				return r.inflateRows(sd, w, h, tt.comps, each)
			})
			if fast != tt.fast {
				t.Errorf("fast path taken %v, want %v", fast, tt.fast)
			}
			got, ok, decoded := read(func(r *reader, sd *types.StreamDict, each func(int, []byte)) bool {
				return r.rows(sd, w, h, tt.comps, each)
			})
			if ok != tt.keeps {
				t.Fatalf("read %v, want %v", ok, tt.keeps)
			}
			// pdfcpu's reading, the reference: the samples and the bytes
			// counted against the budget are the same.
			sd := tt.sd
			var want []byte
			if err := sd.DecodeWithLimit(DefaultMaxDecodedBytes); err == nil && len(sd.Content) >= w*h*tt.comps {
				want = sd.Content[:w*h*tt.comps]
			}
			if (want != nil) != ok {
				t.Fatalf("read %v, pdfcpu read %v", ok, want != nil)
			}
			if !ok {
				return
			}
			if !bytes.Equal(got, want) {
				t.Errorf("samples differ from pdfcpu's")
			}
			if tt.want != nil && !bytes.Equal(got, tt.want) {
				t.Errorf("samples differ from the picture's")
			}
			if decoded != int64(len(sd.Content)) {
				t.Errorf("counted %d bytes, pdfcpu decoded %d", decoded, len(sd.Content))
			}
		})
	}
}
