package triage

import (
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// Routing of a ticket out of the league: #escalate to a CERT, #alert to
// the institutions of an area. Both go to contacts only (leaguemail
// contacts import); nothing is guessed: when the contacts do not say
// where a mail should go, the triager is told why and nothing is sent.

// escalate mails the escalation to the CERTs named, or, with no argument,
// to the national CERT of the reporting institution's country.
func (r *cmdRun) escalate(c parser.Command) (string, error) {
	if !r.t.State.Open() {
		return "", bad("#%d is %s: #reopen it before escalating it", r.n, r.t.State)
	}
	certs, err := r.in.tx.Contacts(r.in.ctx, "cert")
	if err != nil {
		return "", err
	}
	args, limit, err := quoteLimit(c.Args)
	if err != nil {
		return "", err
	}
	var to []store.Contact
	if len(args) > 0 {
		// Law enforcement contacts are named like CERTs (issue 14); the
		// national route is the CERT's alone.
		var les []store.Contact
		if les, err = r.in.tx.Contacts(r.in.ctx, "le"); err != nil {
			return "", err
		}
		to, err = pickCERTs(append(certs, les...), args)
	} else {
		to, err = r.nationalCERT(certs)
	}
	if err != nil {
		return "", err
	}
	data, err := r.escalationData()
	if err != nil {
		return "", err
	}
	if data.Words, data.Attached, err = r.in.reportWords(r.t, limit); err != nil {
		return "", err
	}
	var names []string
	for _, cert := range to {
		d := data
		d.RecipientName = cert.Name
		// Not threaded to the triager's mail: the CERT's conversation
		// starts here, and no triager's Message-ID leaves the league.
		m := r.in.outMail(r.n, store.KindEscalation, cert.Email, r.in.g.subject(r.n, "Escalation: ", r.t.Subject), d, false)
		role := "cert"
		if cert.Kind == "le" {
			role = "le"
		}
		if err := r.in.enqueue(r.n, m, role); err != nil {
			return "", err
		}
		names = append(names, contactName(cert))
	}
	list := strings.Join(names, ", ")
	if r.t.State != store.StateEscalated {
		if err := r.in.tx.SetState(r.in.ctx, r.n, store.StateEscalated, r.event("escalated to "+list+" by "+r.in.actor())); err != nil {
			return "", err
		}
	}
	return "escalation to " + list + " queued", nil
}

// pickCERTs finds the CERTs named by args: all of args as one name
// ("CERT Santé"), or else each argument as a name or an address.
func pickCERTs(certs []store.Contact, args []string) ([]store.Contact, error) {
	if len(certs) == 0 {
		return nil, bad("no CERT is in the contacts, so the escalation cannot go anywhere: import them with 'leaguemail contacts import'")
	}
	if got := matchCERT(certs, strings.Join(args, " ")); len(got) > 0 {
		return got, nil
	}
	var out []store.Contact
	for _, a := range args {
		got := matchCERT(certs, a)
		if len(got) == 0 {
			return nil, bad("no CERT named %q is in the contacts (known: %s)", a, knownCERTs(certs))
		}
		out = append(out, got...)
	}
	return dedupe(out), nil
}

func matchCERT(certs []store.Contact, name string) []store.Contact {
	var out []store.Contact
	for _, c := range certs {
		if strings.EqualFold(c.Name, name) || strings.EqualFold(c.Email, name) {
			out = append(out, c)
		}
	}
	return out
}

// nationalCERT routes by the reporting institution's country: the one
// CERT of that country without a region (a national CERT); failing that,
// the one of the institution's region.
func (r *cmdRun) nationalCERT(certs []store.Contact) ([]store.Contact, error) {
	inst := r.t.Institution
	if inst == nil {
		return nil, bad("#escalate alone sends to the national CERT of the reporting institution's country, "+
			"but the reporter of #%d (%s) is no institution in the contacts, so its country is unknown. "+
			"Nothing was sent. Name the CERT: #escalate NAME (known: %s)", r.n, orNone(r.t.Reporter), knownCERTs(certs))
	}
	if inst.Country == "" {
		return nil, bad("#escalate alone sends to the national CERT of the reporting institution's country, "+
			"but %s has no country in the contacts. Nothing was sent. Name the CERT: #escalate NAME (known: %s)",
			contactName(*inst), knownCERTs(certs))
	}
	var national, regional []store.Contact
	for _, c := range certs {
		if !strings.EqualFold(c.Country, inst.Country) {
			continue
		}
		switch {
		case c.Region == "":
			national = append(national, c)
		case inst.Region != "" && strings.EqualFold(c.Region, inst.Region):
			regional = append(regional, c)
		}
	}
	for _, cands := range [][]store.Contact{national, regional} {
		switch cands = dedupe(cands); len(cands) {
		case 0:
			continue
		case 1:
			return cands, nil
		default:
			return nil, bad("%d CERTs of %s are in the contacts (%s), and which one to tell is yours to decide. "+
				"Nothing was sent. Name it: #escalate NAME", len(cands), inst.Country, knownCERTs(cands))
		}
	}
	return nil, bad("no CERT of %s (the country of %s) is in the contacts, so the escalation was not sent. "+
		"Name a CERT: #escalate NAME (known: %s), or add that country's CERT with 'leaguemail contacts import'",
		inst.Country, contactName(*inst), knownCERTs(certs))
}

// escalationData is what a CERT needs to act: the ticket, who reported it
// and where, its severity and TLP, and all its indicators (notify defangs
// them in the text and attaches them as CSV and STIX).
func (r *cmdRun) escalationData() (store.MailData, error) {
	t := r.t
	inds, err := r.in.tx.TicketIndicators(r.in.ctx, r.n)
	if err != nil {
		return store.MailData{}, err
	}
	accepted := indVals(inds, false)
	d := store.MailData{Ticket: r.n, Tag: r.in.g.tag(r.n), Subject: t.Subject, Reporter: t.Reporter, ReporterName: t.ReporterName,
		Severity: t.Severity, TLP: t.TLP, Created: t.CreatedAt, Follows: t.Follows,
		IndicatorCount: len(accepted), Indicators: accepted, Text: triagerNote(r.in.msg)}
	if t.Institution != nil {
		d.Institution, d.Country = t.Institution.Name, t.Institution.Country
	}
	if d.Correlation, err = r.in.tx.Correlation(r.in.ctx, r.n); err != nil {
		return store.MailData{}, err
	}
	return d, nil
}

// alert warns every institution subscribed to an area (an institution
// contact is subscribed to its region and its country): the area named,
// or the reporting institution's region, or else its country. Only
// verified indicators go out: institutions block what they receive, and
// a triager must have vouched for it. The alert does not say who
// reported: it goes to many.
func (r *cmdRun) alert(c parser.Command) (string, error) {
	if !r.t.State.Open() {
		return "", bad("#%d is %s: #reopen it before sending an alert", r.n, r.t.State)
	}
	if r.t.TLP == "red" {
		return "", bad("#%d is TLP:RED, for named recipients only, and an alert goes to many: set #tlp amber (or lower) first", r.n)
	}
	insts, err := r.in.tx.Contacts(r.in.ctx, "institution")
	if err != nil {
		return "", err
	}
	area, to, err := r.area(insts, c.Args)
	if err != nil {
		return "", err
	}
	inds, err := r.in.tx.TicketIndicators(r.in.ctx, r.n)
	if err != nil {
		return "", err
	}
	verified := indVals(inds, true)
	if len(verified) == 0 {
		return "", bad("no indicator of #%d is verified, and an alert carries only verified ones: #verify them first (#verify, then #alert, in one mail will do)", r.n)
	}
	data := store.MailData{Ticket: r.n, Tag: r.in.g.tag(r.n), Severity: r.t.Severity, TLP: r.t.TLP, Created: r.t.CreatedAt,
		Area: area, Indicators: verified, IndicatorCount: len(verified)}
	subject := oneLine(r.in.g.tag(r.n) + " Alert for " + area + ": indicators of an attack")
	for _, inst := range to {
		d := data
		d.RecipientName = inst.Name
		d.List = r.in.g.listFor(inst)
		m := r.in.outMail(r.n, store.KindAlert, inst.Email, subject, d, false)
		if err := r.in.enqueue(r.n, m, "institution"); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("alert for %s with %d verified %s queued to %d %s", area, len(verified),
		plural(len(verified), "indicator", "indicators"), len(to), plural(len(to), "institution", "institutions")), nil
}

// area finds the institutions of the area named by args, or of the
// reporting institution's area, leaving out the reporting institution.
func (r *cmdRun) area(insts []store.Contact, args []string) (string, []store.Contact, error) {
	inst := r.t.Institution
	var label string
	var match func(c store.Contact) bool
	switch {
	case len(args) > 0:
		label = strings.Join(args, " ")
		match = func(c store.Contact) bool {
			return strings.EqualFold(c.Region, label) || strings.EqualFold(c.Country, label)
		}
	case inst == nil:
		return "", nil, bad("#alert alone warns the area of the reporting institution, but the reporter of #%d (%s) "+
			"is no institution in the contacts. Nothing was sent. Name the area: #alert REGION or #alert COUNTRY", r.n, orNone(r.t.Reporter))
	case inst.Region != "":
		label = inst.Region
		if inst.Country != "" {
			label += " (" + inst.Country + ")"
		}
		match = func(c store.Contact) bool {
			return strings.EqualFold(c.Region, inst.Region) && strings.EqualFold(c.Country, inst.Country)
		}
	case inst.Country != "":
		label = inst.Country
		match = func(c store.Contact) bool { return strings.EqualFold(c.Country, inst.Country) }
	default:
		return "", nil, bad("%s has no region or country in the contacts. Nothing was sent. Name the area: #alert REGION or #alert COUNTRY", contactName(*inst))
	}
	var to []store.Contact
	for _, c := range insts {
		if match(c) && !c.Unsubscribed && (inst == nil || c.ID != inst.ID) {
			to = append(to, c)
		}
	}
	to = dedupe(to)
	if len(to) == 0 {
		return "", nil, bad("no institution (other than the reporter's) is subscribed to %s in the contacts. Nothing was sent", label)
	}
	return label, to, nil
}

// indVals turns a ticket's indicators into template data, the first 100
// of them, only the verified ones if onlyVerified. Pending evidence never
// leaves the league (DESIGN.md invariant 7).
func indVals(inds []store.TicketIndicator, onlyVerified bool) []store.MailIndicator {
	out := []store.MailIndicator{}
	for _, x := range inds {
		if x.Pending || (onlyVerified && !x.Verified) {
			continue
		}
		if len(out) == 100 {
			break
		}
		out = append(out, store.MailIndicator{Type: x.Type, Value: x.Value, Verified: x.Verified})
	}
	return out
}

func dedupe(cs []store.Contact) []store.Contact {
	seen := map[string]bool{}
	var out []store.Contact
	for _, c := range cs {
		if !seen[c.Email] {
			seen[c.Email] = true
			out = append(out, c)
		}
	}
	return out
}

func contactName(c store.Contact) string {
	if c.Name == "" {
		return c.Email
	}
	return c.Name + " <" + c.Email + ">"
}

// knownCERTs lists CERTs for an error mail: names and countries, ten at most.
func knownCERTs(certs []store.Contact) string {
	if len(certs) == 0 {
		return "none; import them with 'leaguemail contacts import'"
	}
	var names []string
	for i, c := range certs {
		if i == 10 {
			names = append(names, fmt.Sprintf("and %d more", len(certs)-i))
			break
		}
		n := c.Name
		if n == "" {
			n = c.Email
		}
		if c.Country != "" {
			n += " (" + c.Country + ")"
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

// triagerNote is what a triager wrote below the commands of the mail,
// for the CERT: "Looks real: three hospitals of the region hit since
// Monday." It ends at the first quote or signature (the parser cuts it
// there), and is empty when the mail has a #reply, whose text is the
// reporter's.
func triagerNote(m *parser.Message) string {
	for _, c := range m.Commands {
		if c.Name == "reply" {
			return ""
		}
	}
	return m.Note
}
