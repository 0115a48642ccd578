package triage

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// merge folds the ticket into ticket N, the same incident reported twice:
// its mails, indicators and participants go to N; it is closed with a
// "merged into #N" event; each keeps its own history. Afterwards its
// tokens, subject tag and Message-IDs thread to N, and the commands after
// #merge in the same mail act on N.
func (r *cmdRun) merge(c parser.Command) (string, error) {
	if len(c.Args) != 1 {
		return "", bad("#merge takes the number of the ticket to merge this one into: #merge 12")
	}
	arg := strings.TrimPrefix(c.Args[0], "#")
	want, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || want <= 0 {
		return "", bad("%q is not a ticket number", c.Args[0])
	}
	into, err := r.in.resolve(want)
	if err != nil {
		return "", err
	}
	if into == 0 {
		return "", bad("there is no ticket #%d", want)
	}
	if into == r.n {
		if want == r.n {
			return "", bad("a ticket cannot be merged into itself")
		}
		return "", bad("#%d was merged into this ticket already", want)
	}
	// A merge speaks for both tickets: it needs the authority on both
	// (DESIGN.md invariant 7); a token of this ticket alone would hand
	// #N's reporter to whoever holds it.
	if ok, why, err := r.in.authority(into); err != nil {
		return "", err
	} else if !ok {
		return "", bad("#merge %d needs authority on #%d too (a reply token of both tickets, or DKIM or SPF): %s", want, into, why)
	}
	target, err := r.in.tx.Ticket(r.in.ctx, into)
	if err != nil {
		return "", err
	}
	if !target.State.Open() {
		return "", bad("#%d is %s: #reopen it first, or #close this one with a reason", into, target.State)
	}
	from := r.n
	moved, err := r.in.tx.Merge(r.in.ctx, from, into, r.in.now)
	if err != nil {
		return "", err
	}
	summary := fmt.Sprintf("%d %s, %d %s, %d new %s", len(moved.Mails), plural(len(moved.Mails), "mail", "mails"),
		moved.Sightings, plural(moved.Sightings, "sighting", "sightings"),
		moved.Participants, plural(moved.Participants, "participant", "participants"))
	data := mustJSON(map[string]any{"from": from, "into": into, "moved": moved})
	ev := r.in.event(from, "merged", fmt.Sprintf("merged into #%d by %s: %s moved there", into, r.in.actor(), summary))
	ev.Data = data
	if _, err := r.in.tx.AddEvent(r.in.ctx, ev); err != nil {
		return "", err
	}
	ev = r.in.event(into, "merged", fmt.Sprintf("#%d merged into this ticket by %s: %s", from, r.in.actor(), summary))
	ev.Data = data
	if _, err := r.in.tx.AddEvent(r.in.ctx, ev); err != nil {
		return "", err
	}
	if r.t.State.Open() {
		if err := r.in.tx.SetState(r.in.ctx, from, store.StateClosed, r.event(fmt.Sprintf("merged into #%d", into))); err != nil {
			return "", err
		}
	}
	r.n = into
	res := fmt.Sprintf("merged into #%d (%s)", into, summary)
	if into != want {
		res += fmt.Sprintf("; #%d had been merged into #%d", want, into)
	}
	return res, nil
}
