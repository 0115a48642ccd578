package triage

import (
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/lookalike"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// The impersonation watch (issue 15): an institution's own domains (the
// contacts' covers) are watched; when a triager verifies a domain of any
// ticket that imitates one of them, that institution is told in a
// targeted alert, once per lookalike and institution. It is told whether
// or not it takes the area alerts: the attack names it.

// verifyWatched runs #verify, then the watch over what it verified.
func (r *cmdRun) verifyWatched(c parser.Command) (string, error) {
	res, err := r.verify(c)
	if err != nil {
		return res, err
	}
	told, err := r.watch()
	if err != nil {
		return "", err
	}
	if told != "" {
		res += "; " + told
	}
	return res, nil
}

// watch tells the institutions whose domains a verified domain of ticket
// r.n imitates, and says whom it told.
func (r *cmdRun) watch() (string, error) {
	in := r.in
	insts, err := in.tx.Contacts(in.ctx, "institution")
	if err != nil {
		return "", err
	}
	var watched []store.Contact
	for _, c := range insts {
		if len(coveredDomains(c)) > 0 {
			watched = append(watched, c)
		}
	}
	if len(watched) == 0 {
		return "", nil
	}
	inds, err := in.tx.TicketIndicators(in.ctx, r.n)
	if err != nil {
		return "", err
	}
	var told, held []string
	var actions []store.MailAction
	actionsRead := false
	for _, x := range inds {
		if x.Type != "domain" || !x.Verified || x.Pending {
			continue
		}
		for _, inst := range watched {
			if r.t.Institution != nil && inst.ID == r.t.Institution.ID {
				continue // they reported it themselves
			}
			own, how := "", ""
			for _, cover := range coveredDomains(inst) {
				if h, ok := lookalike.Match(x.Value, cover); ok {
					own, how = cover, h
					break
				}
			}
			if own == "" {
				continue
			}
			if r.t.TLP == "red" {
				held = append(held, fmt.Sprintf("%s imitates %s's %s, but #%d is TLP:RED", x.Value, contactName(inst), own, r.n))
				continue
			}
			fresh, err := in.tx.MarkImpersonation(in.ctx, inst.ID, x.Value, r.n, in.now)
			if err != nil {
				return "", err
			}
			if !fresh {
				continue
			}
			if !actionsRead {
				if actions, err = r.actions(); err != nil {
					return "", err
				}
				actionsRead = true
			}
			d := store.MailData{Ticket: r.n, Tag: in.g.tag(r.n), Severity: r.t.Severity, TLP: r.t.TLP, Created: r.t.CreatedAt,
				RecipientName: inst.Name, Actions: actions, IndicatorCount: 1,
				Indicators: []store.MailIndicator{{Type: x.Type, Value: x.Value, Verified: true}},
				Lookalike:  &store.MailLookalike{Domain: x.Value, Imitates: own, How: how, FirstSeen: x.FirstSeen}}
			subject := oneLine(in.g.tag(r.n) + " A domain imitates " + own)
			m := in.outMail(r.n, store.KindImpersonation, inst.Email, subject, d, false)
			if err := in.enqueue(r.n, m, "institution"); err != nil {
				return "", err
			}
			told = append(told, fmt.Sprintf("%s (%s imitates %s: %s)", contactName(inst), x.Value, own, how))
		}
	}
	var parts []string
	if len(told) > 0 {
		parts = append(parts, "impersonation alert to "+strings.Join(told, ", "))
	}
	if len(held) > 0 {
		parts = append(parts, "no impersonation alert: "+strings.Join(held, "; "))
	}
	return strings.Join(parts, "; "), nil
}

// coveredDomains are the domains among an institution's covers (which
// also hold CIDRs and AS numbers for takedowns).
func coveredDomains(c store.Contact) []string {
	var out []string
	for _, f := range strings.Fields(c.Covers) {
		f = strings.ToLower(f)
		if strings.Contains(f, ".") && !strings.ContainsAny(f, "/:") && !strings.HasPrefix(f, "as") {
			out = append(out, f)
		}
	}
	return out
}
