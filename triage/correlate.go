package triage

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

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
	shown := min(len(c.Tickets), 10)
	for i, t := range c.Tickets[:shown] {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " #%d", t)
	}
	if more := c.Reports - shown; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
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
