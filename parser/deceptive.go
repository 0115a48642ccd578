package parser

import (
	"strings"

	"github.com/hospital-league/leaguemail/parser/indicator"
)

// shownAsContext moves the shown URL of each deceptive link, and its host,
// from the indicators to the context: it is the site the phish
// impersonates (www.ameli.fr shown over ameli-remboursement.com), and a
// CERT must never be asked to block it. A value that is also a link's
// target, or in a header, stays an indicator: there it is where the mail
// leads.
func (p *parse) shownAsContext() {
	if len(p.msg.DeceptiveLinks) == 0 {
		return
	}
	c := p.col
	shown := map[indicator.Indicator]bool{}
	for _, d := range p.msg.DeceptiveLinks {
		shown[indicator.Indicator{Type: indicator.URL, Value: d.Shown}] = true
		if h := urlHost(d.Shown); h != "" {
			shown[indicator.Indicator{Type: indicator.Domain, Value: h}] = true
		}
	}
	kept := c.list[:0]
	for _, ind := range c.list {
		key := indicator.Indicator{Type: indicator.Type(ind.Type), Value: ind.Value}
		if !shown[key] || seenAsTarget(ind.Sources) {
			kept = append(kept, ind)
			continue
		}
		for _, s := range ind.Sources {
			c.addContext(key, s)
		}
		c.addContext(key, "deceptive_links")
	}
	c.list = kept
	c.index = make(map[indicator.Indicator]int, len(kept))
	for i, ind := range kept {
		c.index[indicator.Indicator{Type: indicator.Type(ind.Type), Value: ind.Value}] = i
	}
}

// seenAsTarget says whether a value was found where a mail points, not
// only where it shows: a link's target, a header, an attachment.
func seenAsTarget(sources []string) bool {
	for _, s := range sources {
		switch s {
		case "html:href", "html:src", "html:action", "html:mailto":
			return true
		}
		if strings.HasPrefix(s, "header:") {
			return true
		}
	}
	return false
}
