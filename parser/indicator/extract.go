package indicator

import "sync"

// Options configures an Extractor.
type Options struct {
	// Exclude lists domains that are never indicators, with all their
	// subdomains: the league's own domains, the reporter's domain.
	Exclude []string
}

// Extractor finds indicators in text. It is safe for concurrent use.
type Extractor struct {
	opts    Options
	exclude []string // Options.Exclude, normalised
}

// New returns an Extractor.
func New(opts Options) *Extractor {
	return &Extractor{opts: opts, exclude: normalizeExclude(opts.Exclude)}
}

// marksPool recycles the refang offsets between calls.
var marksPool = sync.Pool{New: func() any { return new([]int) }}

// Extract calls emit for every indicator in text, refanged, unwrapped and
// normalised, in the order found; a URL is followed by its host as a
// domain, an e-mail address by its domain. The same indicator may be
// emitted more than once. Extract stops when emit returns false.
func (x *Extractor) Extract(text []byte, emit func(Indicator) bool) {
	marks := marksPool.Get().(*[]int)
	buf, m := refang(text, marks)
	s := scanner{x: x, buf: buf, marks: m, emit: emit}
	s.scan()
	if cap(*marks) <= 1<<12 {
		marksPool.Put(marks)
	}
}
