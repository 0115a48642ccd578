package triage

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// maxExcerpt bounds the text quoted in a triagers' update.
const maxExcerpt = 4000

// tellTriagers queues an update about ticket n to every triager.
func (in *intake) tellTriagers(n int64, prefix, command, result, text string) error {
	t, err := in.tx.Ticket(in.ctx, n)
	if err != nil {
		return err
	}
	ts, err := in.triagerAddrs()
	if err != nil {
		return err
	}
	data := store.MailData{Ticket: n, Tag: in.g.tag(n), Subject: t.Subject, Reporter: t.Reporter,
		Indicators: []store.MailIndicator{}, Severity: t.Severity, TLP: t.TLP,
		Command: command, Result: result, Text: text}
	over, err := in.overBudget()
	if err != nil {
		return err
	}
	for _, to := range ts {
		if over {
			if err := in.addToDigest(n, to, "update: "+strings.TrimSuffix(strings.TrimSpace(prefix), ":"), data); err != nil {
				return err
			}
			continue
		}
		m := in.outMail(n, store.KindTriagerUpdate, to, in.g.subject(n, prefix, t.Subject), data, false)
		if err := in.enqueue(n, m, "triager"); err != nil {
			return err
		}
	}
	return nil
}

// excerpt is the sender's own text, cut to a size a notice can carry,
// with the mail's indicators defanged (DESIGN.md invariant 6): a CERT's
// answer often names the very URLs it is about, and a triager's mail
// client would make links of them.
func excerpt(msg *parser.Message) string {
	s := strings.TrimSpace(msg.Text)
	// The longest first: a URL before the domain inside it.
	inds := slices.Clone(msg.Indicators)
	slices.SortStableFunc(inds, func(a, b parser.Indicator) int { return len(b.Value) - len(a.Value) })
	for _, x := range inds {
		d := indicator.Defang(indicator.Indicator{Type: indicator.Type(x.Type), Value: x.Value})
		if d != x.Value {
			s = strings.ReplaceAll(s, x.Value, d)
		}
	}
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "\n[...]"
	}
	return s
}
