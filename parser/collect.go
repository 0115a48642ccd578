package parser

import (
	"fmt"
	"net/url"

	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/warninglists"
)

// collector gathers the indicators of one mail, merging the places each
// was seen, up to the message's limit.
type collector struct {
	x       *indicator.Extractor
	max     int
	maxScan int
	index   map[indicator.Indicator]int
	list    []Indicator
	ctx     map[indicator.Indicator]int
	ctxList []Indicator
	errs    *[]string
	full    bool
	clipped bool
	// warn holds the warninglists; own is the reporter's address, which
	// is context wherever it is seen.
	warn *warninglists.Set
	own  string
}

func newCollector(x *indicator.Extractor, lim Limits, warn *warninglists.Set, own string, errs *[]string) *collector {
	return &collector{
		x: x, max: lim.MaxIndicators, maxScan: lim.MaxTextScan, errs: errs, warn: warn, own: own,
		index: map[indicator.Indicator]int{}, ctx: map[indicator.Indicator]int{},
	}
}

// text extracts every indicator of a text.
func (c *collector) text(b []byte, source string, layer Layer) {
	if c.full || len(b) == 0 {
		return
	}
	if len(b) > c.maxScan {
		if !c.clipped {
			c.clipped = true
			*c.errs = append(*c.errs, fmt.Sprintf("%s: text of %d bytes scanned for indicators up to the limit of %d", source, len(b), c.maxScan))
		}
		b = b[:c.maxScan]
	}
	c.x.Extract(b, func(ind indicator.Indicator) bool {
		c.add(ind, source, layer)
		return !c.full
	})
}

// contextText records indicators of a text as context only: a
// signature's links are the reporter's, not the attacker's.
func (c *collector) contextText(b []byte, source string) {
	if len(b) > c.maxScan {
		b = b[:c.maxScan]
	}
	c.x.Extract(b, func(ind indicator.Indicator) bool {
		c.addContext(ind, source)
		return len(c.ctxList) < c.max
	})
}

// value normalises one value of a known type, as found in a header or a
// link target, and keeps it. It returns the normalised indicator.
func (c *collector) value(t indicator.Type, v, source string, layer Layer) (indicator.Indicator, bool) {
	ind, ok := c.x.Normalize(t, v)
	if !ok {
		return ind, false
	}
	c.add(ind, source, layer)
	c.addHost(ind, source, layer)
	return ind, true
}

// addHost adds the domain of a URL or an address found by value: the
// extractor does it for text, Normalize returns one indicator only.
func (c *collector) addHost(ind indicator.Indicator, source string, layer Layer) {
	for _, r := range c.x.Related(ind) {
		c.add(r, source, layer)
	}
}

// contextValue normalises one value and keeps it as context only: a relay
// of the Received chain that is not the one the evidence came from.
func (c *collector) contextValue(t indicator.Type, v, source string) (indicator.Indicator, bool) {
	ind, ok := c.x.Normalize(t, v)
	if !ok {
		return ind, false
	}
	c.addContext(ind, source)
	if name, ok := c.warn.Match(string(ind.Type), ind.Value); ok {
		c.ctxList[c.ctx[ind]].Warning = name
	}
	return ind, true
}

// analysisWarning is the warning of links to analysis services.
const analysisWarning = "Link to a malware or URL analysis service"

func (c *collector) add(ind indicator.Indicator, source string, layer Layer) {
	if i, ok := c.index[ind]; ok {
		c.list[i].Sources = appendNew(c.list[i].Sources, source)
		c.list[i].Layers = appendNewLayer(c.list[i].Layers, layer)
		return
	}
	if i, ok := c.ctx[ind]; ok && c.ctxList[i].Warning != "" {
		c.ctxList[i].Sources = appendNew(c.ctxList[i].Sources, source)
		return
	}
	if ind.Type == indicator.Email && ind.Value == c.own {
		c.addContext(ind, source)
		return
	}
	if indicator.AnalysisService(ind.Type, ind.Value) {
		// A VirusTotal or urlscan link names the indicator, which the
		// extractor reported on its own; the link is the analyst's.
		c.addContext(ind, source)
		if i, ok := c.ctx[ind]; ok {
			c.ctxList[i].Warning = analysisWarning
		}
		return
	}
	if name, ok := c.warn.Match(string(ind.Type), ind.Value); ok {
		// Kept, with the list's name: a triager may still read it, and
		// #verify VALUE can still make it an indicator.
		c.addContext(ind, source)
		if i, ok := c.ctx[ind]; ok {
			c.ctxList[i].Warning = name
		}
		return
	}
	if len(c.list) >= c.max {
		if !c.full {
			c.full = true
			*c.errs = append(*c.errs, fmt.Sprintf("more than %d indicators: the rest were not kept", c.max))
		}
		return
	}
	c.index[ind] = len(c.list)
	c.list = append(c.list, Indicator{Type: string(ind.Type), Value: ind.Value, Sources: []string{source}, Layers: []Layer{layer}})
}

func (c *collector) addContext(ind indicator.Indicator, source string) {
	if i, ok := c.ctx[ind]; ok {
		c.ctxList[i].Sources = appendNew(c.ctxList[i].Sources, source)
		return
	}
	if len(c.ctxList) >= c.max {
		return
	}
	c.ctx[ind] = len(c.ctxList)
	c.ctxList = append(c.ctxList, Indicator{Type: string(ind.Type), Value: ind.Value, Sources: []string{source}})
}

// result returns the indicators, dropping from the indicator list what
// was seen only in the reporter's signature.
func (c *collector) result() (inds, ctx []Indicator) {
	inds = c.list
	if inds == nil {
		inds = []Indicator{}
	}
	return inds, c.ctxList
}

func appendNew(list []string, s string) []string {
	for _, v := range list {
		if v == s {
			return list
		}
	}
	if len(list) >= 16 {
		return list
	}
	return append(list, s)
}

func appendNewLayer(list []Layer, l Layer) []Layer {
	for _, v := range list {
		if v == l {
			return list
		}
	}
	return append(list, l)
}

// urlHost returns the host of a normalised URL, without port or brackets.
func urlHost(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return p.Hostname()
}
