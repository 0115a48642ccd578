package triage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// The commands that assess a ticket: #take, #severity, #tlp, #verify.

// Severities and TLPs are the values #severity and #tlp accept.
var (
	Severities = []string{"low", "medium", "high", "critical"}
	TLPs       = []string{"clear", "green", "amber", "red"}
)

func noArgs(c parser.Command) error {
	if len(c.Args) > 0 {
		return bad("#%s takes no argument, and %q was given", c.Name, strings.Join(c.Args, " "))
	}
	return nil
}

// take makes the sender the ticket's assignee.
func (r *cmdRun) take(c parser.Command) (string, error) {
	if err := noArgs(c); err != nil {
		return "", err
	}
	w, err := r.in.tx.Work(r.in.ctx, r.n)
	if err != nil {
		return "", err
	}
	if w.Assignee == r.in.from {
		return "you already work this ticket", nil
	}
	if err := r.in.tx.Assign(r.in.ctx, r.n, r.in.from, r.in.now); err != nil {
		return "", err
	}
	if w.Assignee != "" {
		return "you work this ticket now, instead of " + w.Assignee, nil
	}
	return "you work this ticket now", nil
}

func (r *cmdRun) severity(c parser.Command) (string, error) {
	if len(c.Args) != 1 {
		return "", bad("#severity takes one of %s", strings.Join(Severities, ", "))
	}
	v := strings.ToLower(c.Args[0])
	if !slices.Contains(Severities, v) {
		return "", bad("%q is not a severity: use one of %s", c.Args[0], strings.Join(Severities, ", "))
	}
	old := r.t.Severity
	if old == v {
		return "severity was " + v + " already", nil
	}
	if err := r.in.tx.SetSeverity(r.in.ctx, r.n, v, r.in.now); err != nil {
		return "", err
	}
	return fmt.Sprintf("severity %s (was %s)", v, orUnset(old)), nil
}

func (r *cmdRun) tlp(c parser.Command) (string, error) {
	if len(c.Args) != 1 {
		return "", bad("#tlp takes one of %s", strings.Join(TLPs, ", "))
	}
	v := strings.TrimPrefix(strings.ToLower(c.Args[0]), "tlp:")
	if v == "white" {
		v = "clear" // TLP 1.0's name for it
	}
	if !slices.Contains(TLPs, v) {
		return "", bad("%q is not a TLP: use one of %s", c.Args[0], strings.Join(TLPs, ", "))
	}
	old := r.t.TLP
	if old == v {
		return "TLP was " + v + " already", nil
	}
	if err := r.in.tx.SetTLP(r.in.ctx, r.n, v, r.in.now); err != nil {
		return "", err
	}
	return fmt.Sprintf("TLP %s (was %s)", v, orUnset(old)), nil
}

// verify marks the ticket's indicators verified, or those named: the
// feeds publish only verified indicators. Values may be written defanged.
func (r *cmdRun) verify(c parser.Command) (string, error) {
	if r.t.State == store.StateRejected {
		return "", bad("#%d was rejected as a false positive: #reopen it first", r.n)
	}
	inds, err := r.in.tx.TicketIndicators(r.in.ctx, r.n)
	if err != nil {
		return "", err
	}
	if len(inds) == 0 {
		return "", bad("#%d has no indicators to verify", r.n)
	}
	var keys []store.IndicatorKey
	for _, a := range c.Args {
		v := strings.TrimSpace(indicator.Refang(a))
		found := false
		for _, x := range inds {
			if strings.EqualFold(x.Value, v) {
				keys = append(keys, store.IndicatorKey{Type: x.Type, Value: x.Value})
				found = true
			}
		}
		if !found {
			return "", bad("%q is not an indicator of #%d", a, r.n)
		}
	}
	changed, err := r.in.tx.VerifyIndicators(r.in.ctx, r.n, keys)
	if err != nil {
		return "", err
	}
	want := len(inds)
	if len(keys) > 0 {
		want = len(keys)
	}
	res := fmt.Sprintf("%d %s verified", len(changed), plural(len(changed), "indicator", "indicators"))
	if already := want - len(changed); already > 0 {
		res += fmt.Sprintf(" (%d already %s)", already, plural(already, "was", "were"))
	}
	return res + "; the feeds will publish them", nil
}

func orUnset(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
