package qr

import (
	"encoding/binary"

	"github.com/makiuchi-d/gozxing"
)

// Block geometry of ZXing's hybrid binarizer: 8x8 pixel blocks, each
// thresholded by the average black point of the 5x5 blocks around it.
const (
	blockPower      = 3
	blockSize       = 1 << blockPower
	minDimension    = blockSize * 5
	minDynamicRange = 24
)

// hybrid is gozxing's HybridBinarizer over a grey plane, computing the same
// black matrix bit for bit several times faster: gozxing sets each pixel's
// bit through BitMatrix.Set and reads each through a masked int, which on
// a scanned page costs more than the QR search that follows. The smaller
// pictures that gozxing thresholds globally are left to it.
type hybrid struct {
	src    gozxing.LuminanceSource
	lum    []byte // w*h grey levels, row by row
	w, h   int
	matrix *gozxing.BitMatrix
	global gozxing.Binarizer // rows for 1D readers, and small pictures
}

func newHybrid(lum []byte, w, h int) (gozxing.Binarizer, error) {
	src, err := gozxing.NewPlanarYUVLuminanceSource(lum, w, h, 0, 0, w, h, false)
	if err != nil {
		return nil, err
	}
	if w < minDimension || h < minDimension {
		return gozxing.NewHybridBinarizer(src), nil
	}
	return &hybrid{src: src, lum: lum, w: w, h: h, global: gozxing.NewHybridBinarizer(src)}, nil
}

func (b *hybrid) GetLuminanceSource() gozxing.LuminanceSource { return b.src }
func (b *hybrid) GetWidth() int                               { return b.w }
func (b *hybrid) GetHeight() int                              { return b.h }

func (b *hybrid) GetBlackRow(y int, row *gozxing.BitArray) (*gozxing.BitArray, error) {
	return b.global.GetBlackRow(y, row)
}

func (b *hybrid) CreateBinarizer(source gozxing.LuminanceSource) gozxing.Binarizer {
	return gozxing.NewHybridBinarizer(source)
}

func (b *hybrid) GetBlackMatrix() (*gozxing.BitMatrix, error) {
	if b.matrix != nil {
		return b.matrix, nil
	}
	subW, subH := (b.w+blockSize-1)>>blockPower, (b.h+blockSize-1)>>blockPower
	points, lo, hi := b.blackPoints(subW, subH)

	// The bits of each row, as BitMatrix lays them out: 32 pixels a word,
	// the first in the lowest bit.
	words := (b.w + 31) / 32
	bits := make([]uint32, words*b.h)
	maxX, maxY := b.w-blockSize, b.h-blockSize
	for by := 0; by < subH; by++ {
		top := min(max(by, 2), subH-3)
		y0 := min(by<<blockPower, maxY)
		for bx := 0; bx < subW; bx++ {
			left := min(max(bx, 2), subW-3)
			sum := 0
			for z := top - 2; z <= top+2; z++ {
				r := points[z*subW+left-2 : z*subW+left+3]
				sum += r[0] + r[1] + r[2] + r[3] + r[4]
			}
			threshold := sum / 25
			// Most blocks of a page are all above their threshold (paper)
			// or all below it (ink): their pixels need not be read again.
			full := false
			switch k := by*subW + bx; {
			case int(lo[k]) > threshold:
				continue
			case int(hi[k]) <= threshold:
				full = true
			}
			// The last block of a row or column is moved back inside the
			// picture and overlaps the one before: a pixel either marks
			// black is black, as in gozxing, where Set never clears.
			x0 := min(bx<<blockPower, maxX)
			word, shift := x0>>5, uint(x0&31)
			for y := y0; y < y0+blockSize; y++ {
				m := uint32(1<<blockSize - 1)
				if !full {
					m = 0
					px := b.lum[y*b.w+x0 : y*b.w+x0+blockSize]
					for i, v := range px {
						if int(v) <= threshold {
							m |= 1 << uint(i)
						}
					}
				}
				row := bits[y*words : (y+1)*words]
				row[word] |= m << shift
				if shift > 32-blockSize {
					row[word+1] |= m >> (32 - shift)
				}
			}
		}
	}
	matrix, err := gozxing.NewBitMatrix(b.w, b.h)
	if err != nil {
		return nil, err
	}
	row := gozxing.NewBitArray(b.w)
	for y := 0; y < b.h; y++ {
		copy(row.GetBitArray(), bits[y*words:(y+1)*words])
		matrix.SetRow(y, row)
	}
	b.matrix = matrix
	return matrix, nil
}

// blackPoints estimates the black point of each block, as ZXing does: the
// average of a block of enough contrast; else half its minimum, raised to
// its neighbours' estimate when that is above the minimum, for a flat block
// is background next to a code, not data.
//
// It returns as well the least and the greatest grey level of each block.
func (b *hybrid) blackPoints(subW, subH int) (points []int, least, greatest []byte) {
	points = make([]int, subW*subH)
	least, greatest = make([]byte, subW*subH), make([]byte, subW*subH)
	maxX, maxY := b.w-blockSize, b.h-blockSize
	for by := 0; by < subH; by++ {
		y0 := min(by<<blockPower, maxY)
		for bx := 0; bx < subW; bx++ {
			x0 := min(bx<<blockPower, maxX)
			sum, lo, hi := 0, 0xff, 0
			for y := y0; y < y0+blockSize; y++ {
				px := b.lum[y*b.w+x0 : y*b.w+x0+blockSize]
				// A row of one grey level (paper, ink, a flat JPEG block)
				// is read as one word.
				if v := binary.LittleEndian.Uint64(px); v == uint64(px[0])*0x0101010101010101 {
					p := int(px[0])
					sum += blockSize * p
					lo = min(lo, p)
					hi = max(hi, p)
					continue
				}
				for _, v := range px {
					p := int(v)
					sum += p
					lo = min(lo, p)
					hi = max(hi, p)
				}
			}
			average := sum >> (2 * blockPower)
			if hi-lo <= minDynamicRange {
				average = lo / 2
				if by > 0 && bx > 0 {
					neighbours := (points[(by-1)*subW+bx] + 2*points[by*subW+bx-1] + points[(by-1)*subW+bx-1]) / 4
					if lo < neighbours {
						average = neighbours
					}
				}
			}
			points[by*subW+bx] = average
			least[by*subW+bx], greatest[by*subW+bx] = byte(lo), byte(hi)
		}
	}
	return points, least, greatest
}
