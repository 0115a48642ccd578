package triage

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// The commands that assess a ticket: #take, #severity, #tlp, #verify,
// #accept, #unverify.

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

// verify records that the triager vouches for the ticket's accepted
// indicators, or for those named: the feeds publish only verified
// indicators. Naming a pending one accepts it too: the triager looked at
// it. Values may be written defanged.
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
	keys, err := r.named(inds, c.Args)
	if err != nil {
		return "", err
	}
	var accepted []store.IndicatorKey
	if len(keys) > 0 {
		if accepted, err = r.in.tx.AcceptSightings(r.in.ctx, r.n, keys); err != nil {
			return "", err
		}
	}
	changed, err := r.in.tx.VerifyIndicators(r.in.ctx, r.n, keys, r.in.from, r.in.now)
	if err != nil {
		return "", err
	}
	want, pending := 0, 0
	for _, x := range inds {
		switch {
		case len(keys) > 0:
			want = len(keys)
		case x.Pending:
			pending++
		default:
			want++
		}
	}
	res := fmt.Sprintf("%d %s verified", len(changed), plural(len(changed), "indicator", "indicators"))
	if already := want - len(changed); already > 0 {
		res += fmt.Sprintf(" (%d already %s)", already, plural(already, "was", "were"))
	}
	if len(accepted) > 0 {
		res += fmt.Sprintf(", %d of them accepted from pending evidence", len(accepted))
	}
	res += r.published()
	if pending > 0 {
		res += fmt.Sprintf(". %d pending %s left out: #accept them, or #verify them by name",
			pending, plural(pending, "indicator was", "indicators were"))
	}
	return res, nil
}

// accept makes the ticket's pending evidence (all of it, or the values
// named) count as the ticket's own: a triager looked at it.
func (r *cmdRun) accept(c parser.Command) (string, error) {
	inds, err := r.in.tx.TicketIndicators(r.in.ctx, r.n)
	if err != nil {
		return "", err
	}
	keys, err := r.named(inds, c.Args)
	if err != nil {
		return "", err
	}
	accepted, err := r.in.tx.AcceptSightings(r.in.ctx, r.n, keys)
	if err != nil {
		return "", err
	}
	if len(accepted) == 0 {
		return "no pending evidence to accept", nil
	}
	return fmt.Sprintf("%d pending %s accepted: %s; #verify to publish %s", len(accepted),
		plural(len(accepted), "indicator", "indicators"), keyList(accepted), plural(len(accepted), "it", "them")), nil
}

// unverify withdraws the ticket's verification of the values named: at
// the next export they leave the feeds, unless another ticket verified
// them too.
func (r *cmdRun) unverify(c parser.Command) (string, error) {
	if len(c.Args) == 0 {
		return "", bad("#unverify takes the values to withdraw: #unverify evil.example")
	}
	inds, err := r.in.tx.TicketIndicators(r.in.ctx, r.n)
	if err != nil {
		return "", err
	}
	keys, err := r.named(inds, c.Args)
	if err != nil {
		return "", err
	}
	changed, elsewhere, err := r.in.tx.UnverifyIndicators(r.in.ctx, r.n, keys)
	if err != nil {
		return "", err
	}
	if len(changed) == 0 {
		return "none of them was verified on this ticket", nil
	}
	res := fmt.Sprintf("%d %s no longer verified here (%s); the next export leaves %s out of the feeds",
		len(changed), plural(len(changed), "indicator", "indicators"), keyList(changed), plural(len(changed), "it", "them"))
	for _, k := range changed {
		if ts := elsewhere[k]; len(ts) > 0 {
			res += fmt.Sprintf("; %s stays verified on %s", k.Value, ticketList(ts))
		}
	}
	return res, nil
}

// named finds the indicators of the ticket that args name, written
// defanged or not.
func (r *cmdRun) named(inds []store.TicketIndicator, args []string) ([]store.IndicatorKey, error) {
	var keys []store.IndicatorKey
	for _, a := range args {
		v := strings.TrimSpace(indicator.Refang(a))
		found := false
		for _, x := range inds {
			if strings.EqualFold(x.Value, v) {
				keys = append(keys, store.IndicatorKey{Type: x.Type, Value: x.Value})
				found = true
			}
		}
		if !found {
			return nil, bad("%q is not an indicator of #%d", a, r.n)
		}
	}
	return keys, nil
}

func keyList(keys []store.IndicatorKey) string {
	var vs []string
	for i, k := range keys {
		if i == 10 {
			vs = append(vs, fmt.Sprintf("and %d more", len(keys)-i))
			break
		}
		vs = append(vs, indicator.Defang(indicator.Indicator{Type: indicator.Type(k.Type), Value: k.Value}))
	}
	return strings.Join(vs, ", ")
}

func ticketList(ns []int64) string {
	var vs []string
	for _, n := range ns {
		vs = append(vs, fmt.Sprintf("#%d", n))
	}
	return strings.Join(vs, ", ")
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
