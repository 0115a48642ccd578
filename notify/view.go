package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// View is what a template sees of a mail. Indicator values in it are
// defanged already (Defanged); Value is for the attachments only.
type View struct {
	Kind       string
	League     string // the league's address, From of every mail
	LeagueName string // its display name
	Now        time.Time

	Ticket       int64
	Tag          string // "[League #12]"
	Subject      string // the report's subject
	Reporter     string
	ReporterName string
	Institution  string
	Country      string
	Created      time.Time // when the ticket was opened
	Severity     string
	TLP          string
	Follows      int64
	Errors       []string
	Attachments  int    // how many attachments the report had
	ReplyTo      string // the recipient's own reply address

	// Indicators are those shown in the text (at most 100); All are those
	// of the attachments; IndicatorCount counts every one, More those not
	// shown.
	Indicators     []IndicatorView
	All            []IndicatorView
	IndicatorCount int
	More           int
	Correlation    *CorrelationView

	Text          string // a triager's words
	Command       string
	Result        string
	RecipientName string
	Area          string
	// Unauthenticated says why our MTA could not authenticate the
	// reporter (triagers' notices only).
	Unauthenticated string
	// Pending counts the indicators shown that are pending evidence.
	Pending int
	// Digest lists what a triagers' digest gathers.
	Digest []store.DigestEntry

	// KeyURL and KeyFingerprint say where the league's OpenPGP key is.
	KeyURL         string
	KeyFingerprint string
	// Verdict and Actions are an outcome's: what the league concluded
	// and did (store.MailData).
	Verdict string
	Actions []store.MailAction
	// List is an area alert's List-Id and ways to leave, nil for other
	// mails.
	List *store.MailList
	// Lookalike is what an impersonation alert is about, its domains
	// defanged.
	Lookalike *LookalikeView
	// Words are the reporter's own words, defanged; Files the report's
	// attachments.
	Words string
	Files []store.MailAttachment
	// Lang is the recipient's language ("fr"): its templates are used
	// when the set has them.
	Lang string
}

// LookalikeView is a domain imitating the recipient's own, in a View.
type LookalikeView struct {
	Domain, Imitates, How string
	FirstSeen             time.Time
}

// IndicatorView is one indicator in a View.
type IndicatorView struct {
	Type      string
	Value     string
	Defanged  string
	FirstSeen time.Time
	LastSeen  time.Time
	Tickets   []int64
	// Others counts the other tickets of a correlated indicator when
	// Tickets names only the first of them.
	Others   int
	Verified bool
	// Pending is evidence from a flagged or unauthenticated mail, sent by
	// From: a triager must accept it before it counts.
	Pending bool
	From    []string
}

// CorrelationView says that indicators were seen on other tickets.
type CorrelationView struct {
	Reports    int
	Tickets    []int64
	FirstSeen  time.Time
	Indicators []IndicatorView
}

// maxShown is how many indicators a mail's text lists.
const maxShown = 100

// defang writes an indicator so that no mail client makes it a link.
func defang(typ, value string) string {
	return indicator.Defang(indicator.Indicator{Type: indicator.Type(typ), Value: value})
}

// withTicket reports whether a kind's view is read from the ticket as it
// is at send time, not only from what was queued: escalations and alerts
// carry every indicator the ticket has when they leave.
func withTicket(kind string) bool { return kind == store.KindEscalation || kind == store.KindAlert }

// buildView makes the View of m from its Data and, for escalations and
// alerts, from the ticket in st. A malformed Data is the queuer's mistake
// and final; an error reading the store is not.
func (s *Sender) buildView(ctx context.Context, m store.OutboxMail) (View, error) {
	d, err := m.MailData()
	if err != nil {
		return View{}, &permanentError{err}
	}
	v := View{
		Kind: m.Kind, League: s.cfg.From, LeagueName: s.cfg.Name, Now: s.now(),
		Ticket: d.Ticket, Tag: d.Tag, Subject: d.Subject, Reporter: d.Reporter, ReporterName: d.ReporterName,
		Institution: d.Institution, Country: d.Country, Follows: d.Follows, Errors: d.Errors,
		Attachments: d.Attachments, ReplyTo: m.ReplyTo, IndicatorCount: d.IndicatorCount,
		Text: d.Text, Command: d.Command, Result: d.Result, RecipientName: d.RecipientName, Area: d.Area,
		Severity: d.Severity, TLP: d.TLP, Created: d.Created, Unauthenticated: d.Unauthenticated, Digest: d.Digest,
		Verdict: d.Verdict, Actions: d.Actions, List: d.List,
		Words: d.Words, Files: d.Attached, Lang: d.Lang,
	}
	if v.Lang == "" {
		v.Lang = s.cfg.Lang
	}
	if v.Ticket == 0 {
		v.Ticket = m.Ticket
	}
	if v.Tag == "" && v.Ticket != 0 {
		v.Tag = fmt.Sprintf("[%s #%d]", s.cfg.Tag, v.Ticket)
	}
	for _, x := range d.Indicators {
		v.All = append(v.All, IndicatorView{Type: x.Type, Value: x.Value, Defanged: defang(x.Type, x.Value), Tickets: []int64{v.Ticket},
			Verified: x.Verified, Pending: x.Pending, From: x.From})
	}
	if c := d.Correlation; c != nil {
		cv := &CorrelationView{Reports: c.Reports, Tickets: c.Tickets, FirstSeen: c.FirstSeen}
		for _, x := range c.Indicators {
			cv.Indicators = append(cv.Indicators, IndicatorView{Type: x.Type, Value: x.Value,
				Defanged: defang(x.Type, x.Value), Tickets: x.Tickets, Others: x.Others, FirstSeen: x.FirstSeen})
		}
		v.Correlation = cv
	}
	if withTicket(m.Kind) && m.Ticket != 0 {
		if err := s.ticketView(ctx, m.Ticket, &v); err != nil {
			return View{}, err
		}
	}
	if v.TLP == "" {
		v.TLP = "amber"
	}
	// A reporter's subject, a triager's words may name the very indicators
	// the mail is about; they leave defanged like the rest (DESIGN.md
	// invariant 6), and with no reply token but the recipient's own.
	safe := func(t string) string { return s.guardTokens(s.extract.DefangText(t), m.ReplyTo) }
	v.Subject, v.ReporterName, v.Text, v.Result, v.Command = safe(v.Subject), safe(v.ReporterName), safe(v.Text), safe(v.Result), safe(v.Command)
	v.Unauthenticated, v.Words = safe(v.Unauthenticated), safe(v.Words)
	for i := range v.Files {
		v.Files[i].Name, v.Files[i].Type = safe(v.Files[i].Name), safe(v.Files[i].Type)
	}
	for i := range v.Errors {
		v.Errors[i] = safe(v.Errors[i])
	}
	for i := range v.Digest {
		v.Digest[i].Subject = safe(v.Digest[i].Subject)
	}
	for i := range v.Actions {
		v.Actions[i].What = safe(v.Actions[i].What)
	}
	if l := d.Lookalike; l != nil {
		v.Lookalike = &LookalikeView{Domain: defang("domain", l.Domain), Imitates: defang("domain", l.Imitates),
			How: safe(l.How), FirstSeen: l.FirstSeen}
	}
	for _, x := range v.All {
		if x.Pending {
			v.Pending++
		}
	}
	if v.IndicatorCount < len(v.All) {
		v.IndicatorCount = len(v.All)
	}
	v.Indicators = v.All[:min(len(v.All), maxShown)]
	v.More = v.IndicatorCount - len(v.Indicators)
	return v, nil
}

// ticketView fills v from ticket n as it is now.
func (s *Sender) ticketView(ctx context.Context, n int64, v *View) error {
	d, err := s.st.TicketDetail(ctx, n)
	if errors.Is(err, store.ErrNotFound) {
		return &permanentError{fmt.Errorf("ticket %d: %w", n, err)}
	}
	if err != nil {
		return &storeError{fmt.Errorf("read ticket %d: %w", n, err)}
	}
	t := d.Ticket
	if v.Subject == "" {
		v.Subject = t.Subject
	}
	v.Created = t.CreatedAt
	alert := v.Kind == store.KindAlert
	// An alert goes to many institutions: it never says who reported.
	if !alert {
		v.Reporter, v.ReporterName = t.Reporter, t.ReporterName
		if t.Institution != nil {
			v.Institution, v.Country = t.Institution.Name, t.Institution.Country
		}
	}
	if v.Severity == "" {
		v.Severity = t.Severity
	}
	if v.TLP == "" {
		v.TLP = t.TLP
	}
	others := map[string][]int64{}
	cv := &CorrelationView{}
	for _, c := range d.Correlations {
		others[c.Type+"\x00"+c.Value] = c.Tickets
		cv.Indicators = append(cv.Indicators, IndicatorView{Type: c.Type, Value: c.Value,
			Defanged: defang(c.Type, c.Value), Tickets: c.Tickets, Others: c.Others, FirstSeen: c.FirstSeen})
		for _, o := range c.Tickets {
			if !slices.Contains(cv.Tickets, o) {
				cv.Tickets = append(cv.Tickets, o)
			}
		}
		if cv.FirstSeen.IsZero() || c.FirstSeen.Before(cv.FirstSeen) {
			cv.FirstSeen = c.FirstSeen
		}
	}
	v.Correlation = nil
	if len(cv.Tickets) > 0 {
		slices.Sort(cv.Tickets)
		cv.Reports = len(cv.Tickets)
		v.Correlation = cv
	}
	v.All = v.All[:0]
	for _, x := range d.Indicators {
		// Institutions block what an alert lists: only indicators a
		// triager verified go out in one, as triage queued it. Pending
		// evidence never leaves (DESIGN.md invariant 7).
		if x.Pending || (alert && !x.Verified) {
			continue
		}
		tickets := append([]int64{n}, others[x.Type+"\x00"+x.Value]...)
		slices.Sort(tickets)
		v.All = append(v.All, IndicatorView{Type: x.Type, Value: x.Value, Defanged: defang(x.Type, x.Value),
			FirstSeen: x.FirstSeen, LastSeen: x.LastSeen, Tickets: tickets, Verified: x.Verified})
	}
	v.IndicatorCount = len(v.All)
	return nil
}

// machineReadable writes v's indicators as the CSV and STIX 2.1 files of
// an escalation or alert, with package export's writers: a CERT that
// loads both our feeds and our escalations sees the same ids. The ticket's
// triager chose the recipients, so its own TLP travels with it and
// unverified indicators go too: the filter of the public feeds does not
// apply to a mail addressed to one CERT.
func machineReadable(v View) (csvb, stixb []byte, err error) {
	t := export.Ticket{Number: v.Ticket, Created: v.Created, Updated: v.Now, Severity: v.Severity, TLP: strings.ToLower(v.TLP), State: "escalated"}
	for _, x := range v.All {
		first := x.FirstSeen
		if first.IsZero() {
			first = v.Created
		}
		t.Indicators = append(t.Indicators, export.Indicator{Type: x.Type, Value: x.Value, FirstSeen: first, LastSeen: x.LastSeen,
			Tickets: x.Tickets, Verified: x.Verified})
	}
	opts := export.Options{League: v.LeagueName, TLPMax: "red", All: true, Now: func() time.Time { return v.Now }}
	var c, s bytes.Buffer
	if err := export.WriteCSV(&c, []export.Ticket{t}, opts); err != nil {
		return nil, nil, err
	}
	if err := export.WriteSTIX(&s, []export.Ticket{t}, opts); err != nil {
		return nil, nil, err
	}
	return c.Bytes(), s.Bytes(), nil
}

// guardTokens replaces, in text bound for a mail, every reply token of
// ours but the recipient's own (in own, the mail's Reply-To) by the plain
// address. A token is a bearer secret: a triager's, quoted in a #reply or
// a note, would let anyone who receives it speak as that triager.
func (s *Sender) guardTokens(text, own string) string {
	if text == "" || !strings.Contains(text, "+") {
		return text
	}
	return s.tokenRE.ReplaceAllStringFunc(text, func(tok string) string {
		if strings.EqualFold(tok, own) {
			return tok
		}
		return s.cfg.From
	})
}
