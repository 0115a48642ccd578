package qr

import (
	"errors"
	"math/bits"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/detector"
)

// The second search of a picture, gozxing's single QR reader trying
// harder, scans every third row of the black matrix for the 1:1:3:1:1 runs
// of a finder pattern (ISO/IEC 18004, 6.3.3), a pixel at a time through
// BitMatrix.Get: on a scanned page without a code that scan is nearly all
// of its cost. findTryHarder makes the same scan a run of pixels at a time,
// read from the row's words, and hands each run it stops at to gozxing's
// own FinderPatternFinder (the cross checks, the centres kept, the rows
// skipped, the three patterns chosen): it ends in the same finder patterns,
// and the rest of the reading is gozxing's.

// tryHarderSkip is the row step of a finder trying harder (gozxing's
// FinderPatternFinder_MIN_SKIP).
const tryHarderSkip = detector.FinderPatternFinder_MIN_SKIP

// readTryHarder is single.NewQRCodeReader().Decode(bmp, TRY_HARDER) for
// its text: the same finder patterns, detector and decoder.
func readTryHarder(m *gozxing.BitMatrix, hints map[gozxing.DecodeHintType]interface{}) (string, error) {
	info, err := findTryHarder(m)
	if err != nil {
		return "", err
	}
	det, err := detector.NewDetector(m).ProcessFinderPatternInfo(info)
	if err != nil {
		return "", err
	}
	res, err := decoder.NewDecoder().Decode(det.GetBits(), hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// maxCenters bounds the candidate finder patterns of a picture searched.
// gozxing chooses the three patterns of a code (the multi reader, its sets
// of three) among every triple of candidates: time cubic in their number.
// A 241x241 PNG tiled with finder patterns, 900 candidates, kept one
// search busy for 200 s; a real code has three, and a busy photograph a
// few dozen.
const maxCenters = 150

// ErrTooComplex is returned for a picture with more candidate finder
// patterns than can be searched.
var ErrTooComplex = errors.New("qr: too many candidate finder patterns to search")

// census checks, before any search of m, that its candidate finder
// patterns are at most maxCenters: those of a finder trying harder (every
// third row, none skipped), which sees at least as many as the multi
// reader's. The count stops at the first one past the bound.
func census(m *gozxing.BitMatrix) error {
	_, err := scanCenters(m, true)
	return err
}

// findTryHarder is FinderPatternFinder.Find with TRY_HARDER over m.
func findTryHarder(m *gozxing.BitMatrix) (*detector.FinderPatternInfo, error) {
	f, err := scanCenters(m, false)
	if err != nil {
		return nil, err
	}
	fps, err := f.SelectBestPatterns()
	if err != nil {
		return nil, err
	}
	bl, tl, tr := gozxing.ResultPoint_OrderBestPatterns(fps[0], fps[1], fps[2])
	return detector.NewFinderPatternInfo(bl.(*detector.FinderPattern), tl.(*detector.FinderPattern), tr.(*detector.FinderPattern)), nil
}

// scanCenters runs the row scan of a finder trying harder over m and
// returns the finder holding the candidates, or ErrTooComplex past
// maxCenters. A census scans every third row to the end; otherwise the
// rows are skipped and the scan stopped as gozxing's finder does.
func scanCenters(m *gozxing.BitMatrix, census bool) (*detector.FinderPatternFinder, error) {
	f := detector.NewFinderPatternFinder(m, nil)
	maxI, maxJ := m.GetHeight(), m.GetWidth()
	iSkip := tryHarderSkip
	// hasSkipped is the finder's own flag, which FindRowSkip raises when it
	// sees two confirmed centres.
	hasSkipped := false
	done := false
	sc := make([]int, 5) // the runs of the pattern being read
	row := gozxing.NewBitArray(maxJ)
	for i := iSkip - 1; i < maxI && !done; i += iSkip {
		clear(sc)
		state := 0 // the run sc[state] is growing: even black, odd white
		words := m.GetRow(i, row).GetBitArray()
		for j := 0; j < maxJ; {
			black := words[j>>5]>>(j&31)&1 == 1
			end := runEnd(words, j, maxJ, black)
			n := end - j
			switch {
			case black:
				if state&1 == 1 {
					state++
				}
				sc[state] += n
			case state&1 == 1:
				sc[state] += n
			case state != 4:
				state++
				sc[state] += n
			case detector.FinderPatternFinder_foundPatternCross(sc) && f.HandlePossibleCenter(sc, i, j):
				// A centre confirmed at the run's first pixel, which is
				// not counted; the rest of the run starts afresh.
				if len(f.GetPossibleCenters()) > maxCenters {
					return nil, ErrTooComplex
				}
				skipRow := false
				switch {
				case census:
				case hasSkipped:
					iSkip = 2
					done = f.HaveMultiplyConfirmedCenters()
				default:
					iSkip = 2
					hasSkipped = confirmedCenters(f) >= 2
					if rowSkip := f.FindRowSkip(); rowSkip > sc[2] {
						i += rowSkip - sc[2] - iSkip
						skipRow = true
					}
				}
				clear(sc)
				state = 0
				if skipRow {
					end = maxJ
				} else if n > 1 {
					state = 1
					sc[1] = n - 1
				}
			default:
				// No pattern: its last three runs may start one, the
				// white run counting from its first pixel.
				detector.FinderPatternFinder_doShiftCounts2(sc)
				state = 3
				sc[3] += n - 1
			}
			j = end
		}
		if detector.FinderPatternFinder_foundPatternCross(sc) && f.HandlePossibleCenter(sc, i, maxJ) {
			if len(f.GetPossibleCenters()) > maxCenters {
				return nil, ErrTooComplex
			}
			if !census {
				iSkip = sc[0]
				if hasSkipped {
					done = f.HaveMultiplyConfirmedCenters()
				}
			}
		}
	}
	return f, nil
}

// confirmedCenters counts the centres seen twice or more, as FindRowSkip
// does before it raises hasSkipped.
func confirmedCenters(f *detector.FinderPatternFinder) int {
	n := 0
	for _, c := range f.GetPossibleCenters() {
		if c.GetCount() >= detector.FinderPatternFinder_CENTER_QUORUM {
			n++
		}
	}
	return n
}

// runEnd returns the first pixel from j on, below max, that is not of the
// colour given; pixel j is bit j%32 of word j/32.
func runEnd(words []uint32, j, max int, black bool) int {
	var flip uint32
	if !black {
		flip = ^uint32(0)
	}
	for j < max {
		w := (words[j>>5] ^ flip) >> (j & 31) // ones where the colour goes on
		if w != ^uint32(0)>>(j&31) {
			return min(j+bits.TrailingZeros32(^w), max)
		}
		j = (j | 31) + 1
	}
	return max
}
