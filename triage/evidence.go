package triage

import (
	"fmt"

	"github.com/hospital-league/leaguemail/mailauth"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// DESIGN.md invariant 7: a mail can only add evidence; only an
// authenticated triager turns evidence into the league's word. What a
// flagged or unauthenticated mail brings is kept as pending evidence:
// shown to the triagers with who sent it, and left out of #verify,
// escalations, alerts, takedowns, the feeds and correlation until a
// triager accepts it (#accept, or #verify naming it).

// pendingWhy says why the evidence of the mail is pending, "" if it is
// not. flagged says that the mail was flagged on its ticket (a stranger's
// reply); tokenOK that it came to a reply token issued to its sender.
func (in *intake) pendingWhy(flagged, tokenOK bool) string {
	switch {
	case flagged:
		return fmt.Sprintf("%s is not a participant of the ticket", in.actor())
	case in.msg.FromProblem != "":
		return in.msg.FromProblem
	case in.auth.Verdict == mailauth.Fail:
		return "unauthenticated sender: " + in.auth.How
	case in.auth.Verdict == mailauth.None && !tokenOK:
		return "unauthenticated sender: " + in.auth.How
	case tokenOK && in.auth.Verdict != mailauth.Pass && in.otherEnvelope() != "":
		// Only a reply token vouches for the mail, and it came from
		// elsewhere: the shape of a token forwarded, or stolen.
		return fmt.Sprintf("only a reply token vouches for %s, and the envelope sender was %s", in.actor(), in.otherEnvelope())
	}
	return ""
}

// unauthenticatedWhy says why the sender of a report cannot be trusted
// with an answer (RFC 3834 section 4: no automatic answer to a From the
// responder cannot trust), "" if it can.
func (in *intake) unauthenticatedWhy() string {
	if p := in.msg.FromProblem; p != "" {
		return p
	}
	if in.auth.Unauthenticated() {
		return in.auth.How
	}
	return ""
}

// sightings records the mail's indicators on ticket n, pending (with the
// reason in the ticket's log) when pending is not empty.
func (in *intake) sightings(n int64, pending string) error {
	var ss []store.Sighting
	for _, ind := range in.msg.Indicators {
		layers := ind.Layers
		if len(layers) == 0 {
			layers = []parser.Layer{parser.LayerReport}
		}
		for _, l := range layers {
			ss = append(ss, store.Sighting{Type: ind.Type, Value: ind.Value, Layer: string(l), Sources: ind.Sources,
				Pending: pending != "", From: in.actor()})
		}
	}
	if len(ss) == 0 {
		return nil
	}
	if err := in.tx.AddSightings(in.ctx, n, in.mail, ss, in.now); err != nil {
		return err
	}
	if pending == "" {
		return nil
	}
	ev := in.event(n, "pending", fmt.Sprintf("%d %s from %s kept as pending evidence (%s): a triager must #accept them, "+
		"or #verify them by name, before they count", len(in.msg.Indicators), plural(len(in.msg.Indicators), "indicator", "indicators"),
		in.actor(), pending))
	ev.Data = mustJSON(map[string]any{"reason": pending, "from": in.actor(), "indicators": len(in.msg.Indicators)})
	_, err := in.tx.AddEvent(in.ctx, ev)
	return err
}
