package triage

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// TemplateTriagerUpdate is the template of the mails that tell the
// triagers of something on an existing ticket: an answer from a CERT or an
// institution, commands that were not run. They are outbox mails of kind
// triager-notice (the outbox's kinds are fixed by its schema), rendered
// with this template rather than the new-report notice's.
const TemplateTriagerUpdate = "triager-update"

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
	data := TicketData{Ticket: n, Tag: in.g.tag(n), Subject: t.Subject, Reporter: t.Reporter,
		Indicators: []IndVal{}, Severity: t.Severity, TLP: t.TLP,
		Command: command, Result: result, Text: text}
	for _, to := range ts {
		m := in.outMail(n, store.KindTriagerNotice, to, in.g.subject(n, prefix, t.Subject), data, false)
		m.Template = TemplateTriagerUpdate
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
