package triage

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

func summarize(cs []store.Correlation) *store.MailCorrelation {
	c := &store.MailCorrelation{Indicators: cs}
	for _, x := range cs {
		for _, t := range x.Tickets {
			if !slices.Contains(c.Tickets, t) {
				c.Tickets = append(c.Tickets, t)
			}
		}
		if c.FirstSeen.IsZero() || x.FirstSeen.Before(c.FirstSeen) {
			c.FirstSeen = x.FirstSeen
		}
	}
	slices.Sort(c.Tickets)
	c.Reports = len(c.Tickets)
	return c
}

// correlationText says it for people: "seen in 3 other reports, first on
// 2026-11-20: #4, #7, #9 (domain evil.example, url ...)". Indicator values
// are not defanged here: the event log is not mail.
func correlationText(c *store.MailCorrelation) string {
	var b strings.Builder
	noun := "reports"
	if c.Reports == 1 {
		noun = "report"
	}
	fmt.Fprintf(&b, "seen in %d other %s, first on %s:", c.Reports, noun, c.FirstSeen.UTC().Format("2006-01-02"))
	for i, t := range c.Tickets {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(c.Tickets)-i)
			break
		}
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " #%d", t)
	}
	b.WriteString(" (")
	for i, x := range c.Indicators {
		if i == 5 {
			fmt.Fprintf(&b, ", and %d more", len(c.Indicators)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x.Type + " " + x.Value)
	}
	b.WriteString(")")
	return b.String()
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("triage: json: " + err.Error())
	}
	return b
}
