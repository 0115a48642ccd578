package triage

import (
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// #takedown [VALUE...] asks the abuse desks that can take the ticket's
// verified URLs and domains down (all of them, or those named) to do so;
// #takedown! asks again what was asked of the same desk in the last 7
// days. Only verified indicators go (DESIGN.md invariant 7): a takedown
// is the league's word to a third party.
//
// The look-ups it needs (RDAP, DNS) are network I/O and this runs inside
// the mail's transaction, so the command only records a job; the
// takedown timer in serve works it and tells the triager who was mailed
// for what (package takedown).
func (r *cmdRun) takedown(c parser.Command) (string, error) {
	force := c.Name == "takedown!"
	if !r.t.State.Open() {
		return "", bad("#%d is %s: #reopen it before asking for a takedown", r.n, r.t.State)
	}
	if r.t.TLP == "red" {
		return "", bad("#%d is TLP:RED, for named recipients only, and a takedown request tells a registrar or a hoster: set #tlp amber (or lower) first", r.n)
	}
	if force && len(c.Args) == 0 {
		return "", bad("#takedown! asks again for the values named: #takedown! VALUE...")
	}
	verified, err := r.in.tx.VerifiedIndicators(r.in.ctx, r.n)
	if err != nil {
		return "", err
	}
	var eligible []store.TicketIndicator
	for _, x := range verified {
		if x.Type == "url" || x.Type == "domain" {
			eligible = append(eligible, x)
		}
	}
	var keys []store.IndicatorKey
	for _, a := range c.Args {
		v := strings.TrimSpace(indicator.Refang(a))
		found := false
		for _, x := range eligible {
			if strings.EqualFold(x.Value, v) {
				keys = append(keys, store.IndicatorKey{Type: x.Type, Value: x.Value})
				found = true
			}
		}
		if !found {
			return "", bad("%q is not a verified URL or domain of #%d: only those are taken down (#verify it first)", a, r.n)
		}
	}
	n := len(keys)
	if len(c.Args) == 0 {
		if n = len(eligible); n == 0 {
			return "", bad("no URL or domain of #%d is verified, and a takedown asks only for verified ones: #verify them first (#verify, then #takedown, in one mail will do)", r.n)
		}
	}
	j := &store.TakedownJob{Ticket: r.n, RequestedBy: r.in.from, Mail: r.in.mail, Values: keys, Force: force, CreatedAt: r.in.now}
	if _, err := r.in.tx.AddTakedownJob(r.in.ctx, j); err != nil {
		return "", err
	}
	return fmt.Sprintf("takedown of %d %s queued: the abuse contacts are looked up now, and a mail will say who was asked for what",
		n, plural(n, "indicator", "indicators")), nil
}

// abuseDesk says whether the sender answers for an abuse desk that ticket
// n's takedown request went to: the desks found through RDAP are no
// contacts, and their ticket systems answer from another address of the
// desk's domain (noreply@abuse.hoster.example for abuse@hoster.example).
func (in *intake) abuseDesk(n int64, domain string) (*answerer, error) {
	if domain == "" {
		return nil, nil
	}
	ps, err := in.tx.Participants(in.ctx, n)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		_, d, _ := strings.Cut(p.Email, "@")
		if p.Role == "abuse" && d != "" && (domain == d || strings.HasSuffix(domain, "."+d)) {
			return &answerer{name: fmt.Sprintf("%s (from %s)", p.Email, in.from), role: "abuse", desk: p.Email}, nil
		}
	}
	return nil, nil
}
