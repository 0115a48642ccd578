package indicator

// Options configures an Extractor.
type Options struct {
	// Exclude lists domains that are never indicators, with all their
	// subdomains: the league's own domains, the reporter's domain.
	Exclude []string
}

// Extractor finds indicators in text. It is safe for concurrent use.
type Extractor struct{ opts Options }

// New returns an Extractor.
func New(opts Options) *Extractor { return &Extractor{opts: opts} }

// Extract calls emit for every indicator in text, refanged, unwrapped and
// normalised, in the order found; a URL is followed by its host as a
// domain, an e-mail address by its domain. The same indicator may be
// emitted more than once. Extract stops when emit returns false.
func (x *Extractor) Extract(text []byte, emit func(Indicator) bool) {}

// Normalize checks and normalises one value already known to be of type t
// (an href target, an address from a header, an IP from a Received line).
// It applies the same unwrapping, normalisation and exclusions as Extract.
func (x *Extractor) Normalize(t Type, value string) (Indicator, bool) { return Indicator{}, false }

// Defang rewrites an indicator so that no mail client makes it a link:
// hxxp://evil[.]example/x, user[@]evil[.]example, 192.0.2[.]1.
func Defang(ind Indicator) string { return ind.Value }
