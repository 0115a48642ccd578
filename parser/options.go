package parser

import (
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/warninglists"
)

// Options tells the parser who the league is and how far to read.
type Options struct {
	// Address is the league's contact address, report@league.example:
	// plus-addresses of it carry reply tokens.
	Address string
	// Domains are the league's own domains: never indicators.
	Domains []string
	// Tag is the word of the subject tag, "League" in "[League #12]".
	Tag string
	// Limits bound the work done on one mail; zero fields take defaults.
	Limits Limits
	// Warninglists say which values are kept as context, with the list's
	// name, instead of becoming indicators: mail providers' relays,
	// platforms, shorteners. Nil takes warninglists.Default(); an empty
	// Set warns of nothing. Loading a checkout is the caller's I/O.
	Warninglists *warninglists.Set
}

// Limits bound what one mail may cost (DESIGN.md invariant 5). A mail over
// a limit is still parsed as far as the limit allows, with the reason in
// Message.Errors.
type Limits struct {
	// MaxSize is the largest raw mail read, in bytes; the rest is ignored.
	MaxSize int
	// MaxParts is the most MIME parts read in one mail, nested mails included.
	MaxParts int
	// MaxMultipartDepth is the deepest nesting of multiparts in one mail.
	MaxMultipartDepth int
	// MaxNesting is the deepest mail in mail (message/rfc822, .eml, .msg, zip).
	MaxNesting int
	// MaxDecoded is the most bytes of attachments decoded or inflated in all.
	MaxDecoded int64
	// MaxIndicators is the most indicators kept for one mail.
	MaxIndicators int
	// MaxTextScan is the most bytes of one text scanned for indicators.
	MaxTextScan int
	// MaxReaderTime is the most time the reader of one PDF may take.
	MaxReaderTime time.Duration
}

// DefaultLimits are generous for real reports and small for attacks:
// mail servers commonly refuse mails over 25-50 MB, real mail rarely nests
// multiparts more than 5 deep, and forwards of forwards rarely pass 3.
var DefaultLimits = Limits{
	MaxSize:           50 << 20,
	MaxParts:          1000,
	MaxMultipartDepth: 16,
	MaxNesting:        8,
	MaxDecoded:        100 << 20,
	MaxIndicators:     10000,
	MaxTextScan:       16 << 20,
	MaxReaderTime:     10 * time.Second,
}

func (o Options) withDefaults() Options {
	d := DefaultLimits
	l := &o.Limits
	if l.MaxSize <= 0 {
		l.MaxSize = d.MaxSize
	}
	if l.MaxParts <= 0 {
		l.MaxParts = d.MaxParts
	}
	if l.MaxMultipartDepth <= 0 {
		l.MaxMultipartDepth = d.MaxMultipartDepth
	}
	if l.MaxNesting <= 0 {
		l.MaxNesting = d.MaxNesting
	}
	if l.MaxDecoded <= 0 {
		l.MaxDecoded = d.MaxDecoded
	}
	if l.MaxIndicators <= 0 {
		l.MaxIndicators = d.MaxIndicators
	}
	if l.MaxTextScan <= 0 {
		l.MaxTextScan = d.MaxTextScan
	}
	if l.MaxReaderTime <= 0 {
		l.MaxReaderTime = d.MaxReaderTime
	}
	if o.Warninglists == nil {
		o.Warninglists = warninglists.Default()
	}
	if o.Tag == "" {
		o.Tag = "League"
	}
	o.Address = strings.ToLower(strings.TrimSpace(o.Address))
	if _, dom, ok := strings.Cut(o.Address, "@"); ok && !containsFold(o.Domains, dom) {
		o.Domains = append(append([]string(nil), o.Domains...), dom)
	}
	return o
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
