package triage

import (
	"fmt"
	"slices"
	"strings"
)

// tlpRank orders the TLPs from the most open; amber+strict is amber to
// the feeds.
func tlpRank(tlp string) int {
	tlp = strings.TrimSuffix(strings.ToLower(tlp), "+strict")
	if tlp == "white" {
		tlp = "clear"
	}
	if i := slices.Index(TLPs, tlp); i >= 0 {
		return i
	}
	return slices.Index(TLPs, "amber") // unset: the league treats it as amber
}

// published says what #verify really does about the feeds: they publish
// nothing stricter than FeedTLPMax, so a TLP:AMBER ticket's indicators
// stay out of a green feed. A #tlp later in the same mail counts: the
// mail's commands run together.
func (r *cmdRun) published() string {
	tlp := r.t.TLP
	seen := false
	for _, c := range r.in.msg.Commands {
		if c.Name == "verify" {
			seen = true
		}
		if seen && c.Name == "tlp" && len(c.Args) == 1 && slices.Contains(TLPs, strings.TrimPrefix(strings.ToLower(c.Args[0]), "tlp:")) {
			tlp = strings.TrimPrefix(strings.ToLower(c.Args[0]), "tlp:")
		}
	}
	max := r.in.g.cfg.FeedTLPMax
	if tlpRank(tlp) <= tlpRank(max) {
		return "; the feeds will publish them"
	}
	shown := strings.ToUpper(tlp)
	if tlp == "" {
		shown = "AMBER (not set)"
	}
	return fmt.Sprintf("; not published while the ticket is TLP:%s (the feeds stop at TLP:%s): #tlp %s to publish them",
		shown, strings.ToUpper(max), strings.ToLower(TLPs[tlpRank(max)]))
}
