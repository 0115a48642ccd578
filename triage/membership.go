package triage

import (
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// Membership by mail (issue 15): a hospital asks to join by writing to
// report+join@, or with a subject that starts with "join" or
// "membership"; that opens a ticket of kind membership, not a report (no
// indicators are taken from it), and the triagers are told who asks, for
// which organisation, and whether our MTA authenticated the sender. A
// triager answers with #approve COUNTRY [REGION] [Name] or #deny.

// The plus addresses of the league's address that are not reply tokens.
const (
	plusJoin        = "join"
	plusSubscribe   = "subscribe"
	plusUnsubscribe = "unsubscribe-"
)

// listMail handles a mail to one of the league's list addresses (join,
// subscribe, unsubscribe-TOKEN) or a request to join by its subject. It
// reports whether it did.
func (in *intake) listMail() (bool, error) {
	for _, tok := range in.msg.Tokens {
		tok = strings.ToLower(tok)
		switch {
		case tok == plusJoin:
			return true, in.openMembership()
		case tok == plusSubscribe:
			return true, in.subscribe()
		case strings.HasPrefix(tok, plusUnsubscribe):
			return true, in.unsubscribeMail(strings.TrimPrefix(tok, plusUnsubscribe))
		}
	}
	if in.msg.Kind == parser.KindReport && len(in.msg.Tokens) == 0 && joinSubject(in.msg.Subject) != "" && len(in.msg.Evidence) == 0 {
		// A forwarded mail makes it a report whatever its subject says:
		// "Membership renewal" is a phisher's favourite.
		return true, in.openMembership()
	}
	return false, nil
}

// joinSubject returns the keyword a subject starts with, "join" or
// "membership", or "".
func joinSubject(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, k := range []string{"join", "membership"} {
		if rest, ok := strings.CutPrefix(s, k); ok && (rest == "" || !isLetter(rest[0])) {
			return k
		}
	}
	return ""
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// organisation is the organisation a request is for: the institution of
// the sender's domain if the league knows it, else what the subject says
// after its keyword ("Join: St Anne Hospital"), else the sender's domain.
func (in *intake) organisation(inst *store.Contact) string {
	if inst != nil && inst.Name != "" {
		return inst.Name
	}
	s := strings.TrimSpace(in.msg.Subject)
	if k := joinSubject(s); k != "" {
		s = strings.Trim(strings.TrimSpace(s[len(k):]), ":-–— ")
		for _, w := range []string{"request for ", "request from ", "request ", "for ", "of ", "from "} {
			if strings.HasPrefix(strings.ToLower(s), w) {
				s = strings.TrimSpace(s[len(w):])
				break
			}
		}
		if s = oneLine(s); s != "" {
			return s
		}
	}
	_, domain, _ := strings.Cut(in.from, "@")
	return domain
}

// openMembership opens a membership ticket for the mail.
func (in *intake) openMembership() error {
	ctx, tx := in.ctx, in.tx
	t := &store.Ticket{Subject: oneLine(in.msg.Subject), Reporter: in.from, ReporterName: oneLine(in.msg.FromName),
		OpenedBy: in.mail, CreatedAt: in.now}
	if t.Subject == "" {
		t.Subject = "membership request"
	}
	if _, domain, ok := strings.Cut(in.from, "@"); ok {
		inst, err := tx.InstitutionByDomain(ctx, domain)
		if err != nil {
			return err
		}
		t.Institution = inst
	}
	org := in.organisation(t.Institution)
	n, err := tx.OpenTicket(ctx, t, in.event(0, "", fmt.Sprintf("membership request from %s for %s", in.actor(), org)))
	if err != nil {
		return err
	}
	if err := tx.AttachMail(ctx, store.TicketMail{Mail: in.mail, Ticket: n, Role: "report"}); err != nil {
		return err
	}
	if err := tx.AddParticipant(ctx, n, in.from, "reporter", in.now); err != nil {
		return err
	}
	unauth := in.unauthenticatedWhy()
	if unauth != "" {
		if err := tx.Flag(ctx, n, in.event(n, "", "unauthenticated sender: "+unauth)); err != nil {
			return err
		}
	}
	if err := in.noteUnanswerable(n, unauth); err != nil {
		return err
	}
	if err := tx.AddMembership(ctx, store.Membership{Ticket: n, Email: in.from, Name: t.ReporterName,
		Organisation: org, Unauthenticated: unauth}); err != nil {
		return err
	}
	data := store.MailData{Ticket: n, Tag: in.g.tag(n), Subject: t.Subject, Reporter: in.from, ReporterName: t.ReporterName,
		Institution: org, Unauthenticated: unauth, Text: excerpt(in.msg), Indicators: []store.MailIndicator{}}
	ts, err := in.triagerAddrs()
	if err != nil {
		return err
	}
	over, err := in.overBudget()
	if err != nil {
		return err
	}
	for _, to := range ts {
		if over {
			if err := in.addToDigest(n, to, "membership request", data); err != nil {
				return err
			}
			continue
		}
		m := in.outMail(n, store.KindTriagerNotice, to, in.g.subject(n, "Membership request: ", org), data, false)
		m.Template = "membership-notice"
		if err := in.enqueue(n, m, "triager"); err != nil {
			return err
		}
	}
	in.g.log.InfoContext(ctx, "membership request", "ticket", n, "from", in.from, "organisation", org, "unauthenticated", unauth)
	in.done(DispMembership, n)
	return nil
}

// DispMembership is the disposition of a request to join.
const DispMembership = "membership"

// membership returns the membership request of ticket r.n, or a
// triager's error when it is a report.
func (r *cmdRun) membership(c parser.Command) (store.Membership, error) {
	m, found, err := r.in.tx.Membership(r.in.ctx, r.n)
	if err != nil {
		return m, err
	}
	if !found {
		return m, bad("#%s answers a membership request, and #%d is a report", c.Name, r.n)
	}
	if m.Decision != "" {
		return m, bad("the membership request of #%d was %s already", r.n, m.Decision)
	}
	return m, nil
}

// approve runs #approve COUNTRY [REGION] [Name]: the sender of the request
// becomes an institution of that area, subscribed to its alerts, and is
// welcomed. A region of several words is quoted ("Pays de la Loire"); "-"
// stands for none when a name follows.
func (r *cmdRun) approve(c parser.Command) (string, error) {
	m, err := r.membership(c)
	if err != nil {
		return "", err
	}
	args := quotedArgs(c.Line)
	if len(args) > 0 {
		args = args[1:] // the command itself
	}
	if len(args) == 0 {
		return "", bad("#approve needs the institution's country: #approve FR [REGION] [Name of the institution]")
	}
	country := strings.ToUpper(args[0])
	if len(country) != 2 || !isLetter(country[0]) || !isLetter(country[1]) {
		return "", bad("%q is not a two-letter ISO 3166 country code (like FR)", args[0])
	}
	region, name := "", m.Organisation
	if len(args) > 1 && args[1] != "-" {
		region = oneLine(args[1])
	}
	if len(args) > 2 {
		name = oneLine(strings.Join(args[2:], " "))
	}
	if m.Unauthenticated != "" {
		// The welcome would go to an address that may never have asked,
		// and the contact would name that domain's reports.
		return "", bad("the request of #%d came from %s, whom our mail server did not authenticate (%s): "+
			"nothing was approved. Ask them to write again from a mail server that signs with DKIM, or import them with 'leaguemail contacts import'",
			r.n, m.Email, m.Unauthenticated)
	}
	if name == "" {
		name = m.Email
	}
	in := r.in
	var covers string
	olds, err := in.tx.ContactsByEmail(in.ctx, m.Email)
	if err != nil {
		return "", err
	}
	for _, o := range olds {
		if o.Kind == "institution" {
			covers = o.Covers // PutContact replaces them: an approval keeps them
		}
	}
	id, err := in.tx.PutContact(in.ctx, store.Contact{Kind: "institution", Name: name, Email: m.Email, Country: country, Region: region, Covers: covers})
	if err != nil {
		return "", err
	}
	if _, err := in.tx.SetSubscribed(in.ctx, id, true); err != nil {
		return "", err
	}
	if err := in.tx.DecideMembership(in.ctx, r.n, "approved", id); err != nil {
		return "", err
	}
	area := country
	if region != "" {
		area = region + " (" + country + ")"
	}
	if err := in.tx.SetState(in.ctx, r.n, store.StateClosed, r.event(fmt.Sprintf("membership approved by %s: %s, %s", in.actor(), name, area))); err != nil {
		return "", err
	}
	contact, err := in.tx.ContactByID(in.ctx, id)
	if err != nil {
		return "", err
	}
	d := store.MailData{RecipientName: name, Country: country, Area: area, List: in.g.listFor(contact)}
	told, err := r.membershipMail(m, "welcome", "Welcome: ", d)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s <%s> is an institution of %s now, subscribed to its area alerts; %s", name, m.Email, area, told), nil
}

// deny runs #deny [reason]: the request is closed, and its sender told
// politely, with the triager's note below the command if any; the reason
// on the command line stays in the ticket.
func (r *cmdRun) deny(c parser.Command) (string, error) {
	m, err := r.membership(c)
	if err != nil {
		return "", err
	}
	in := r.in
	if err := in.tx.DecideMembership(in.ctx, r.n, "denied", 0); err != nil {
		return "", err
	}
	res, err := r.end(c, store.StateRejected, "membership denied")
	if err != nil {
		return "", err
	}
	told, err := r.membershipMail(m, "membership-denied", "Your request: ", store.MailData{RecipientName: m.Organisation})
	if err != nil {
		return "", err
	}
	return res + "; " + told, nil
}

// membershipMail queues a mail of template to the sender of request m,
// threaded to it, unless they must not be answered.
func (r *cmdRun) membershipMail(m store.Membership, template, prefix string, d store.MailData) (string, error) {
	in := r.in
	d.Ticket, d.Tag, d.Subject, d.Reporter, d.ReporterName = r.n, in.g.tag(r.n), r.t.Subject, m.Email, m.Name
	d.Text = triagerNote(in.msg)
	d.Indicators = []store.MailIndicator{}
	om := in.outMail(r.n, store.KindMembership, m.Email, in.g.subject(r.n, prefix, r.t.Subject), d, false)
	om.Template = template
	if r.t.OpenedBy != 0 {
		id, err := in.tx.MessageIDOf(in.ctx, r.t.OpenedBy)
		if err != nil {
			return "", err
		}
		if id != "" {
			om.InReplyTo, om.References = id, []string{id}
		}
	}
	why, err := in.tx.Unanswerable(in.ctx, r.n)
	if err != nil {
		return "", err
	}
	if why != "" {
		om.State, om.LastError = store.OutboxSuppressed, why
	}
	if err := in.enqueue(r.n, om, "reporter"); err != nil {
		return "", err
	}
	if why != "" {
		return fmt.Sprintf("no %s mail to %s: %s", template, m.Email, why), nil
	}
	return fmt.Sprintf("%s mail to %s queued", template, m.Email), nil
}

// quotedArgs splits a command line into fields, a double-quoted run
// being one field.
func quotedArgs(line string) []string {
	var out []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range line {
		switch {
		case r == '"' || r == '“' || r == '”':
			in, has = !in, true
		case !in && (r == ' ' || r == '\t'):
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
