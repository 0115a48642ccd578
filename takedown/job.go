package takedown

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// A job is one #takedown command. It is worked outside any transaction
// (RDAP and DNS), then its outcome is written in one: the requests
// queued, the URLs watched, the triager's confirmation. What failed for
// a reason that may pass is tried again with backoff, and the triager
// is told each time; nothing is dropped silently.

// repeatWindow is how long a value asked of one abuse desk is not asked
// again unless forced (#takedown!).
const repeatWindow = 7 * 24 * time.Hour

// maxAttempts bounds the retries of a job's failed look-ups: with the
// backoff below, about two days.
const maxAttempts = 12

// retryWait is the wait before attempt n+1 of a job: 5 minutes,
// doubling, up to 6 hours.
func retryWait(attempts int) time.Duration {
	d := 5 * time.Minute
	for i := 0; i < attempts && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// item is one indicator for one abuse contact.
type item struct {
	typ, value string
	firstSeen  time.Time
	contact    Contact
	// source is XARF's source_identifier: the address for a hoster,
	// the host for a registrar.
	source string
}

// outcome is what working a job found, for the transaction and the
// triager.
type outcome struct {
	items   []item
	refused []string // "VALUE: why"
	failed  []string // "VALUE: why (tried again ...)"
	final   []string // "VALUE: why" that will not pass by waiting
	retry   []store.IndicatorKey
	wait    time.Duration // the longest Retry-After asked
}

// WorkJobs works every takedown job due now.
func (s *Service) WorkJobs(ctx context.Context) error {
	jobs, err := s.st.DueTakedownJobs(ctx, s.cfg.Now(), 20)
	if err != nil {
		return err
	}
	var errs []error
	for _, j := range jobs {
		if err := s.work(ctx, j); err != nil {
			errs = append(errs, fmt.Errorf("takedown job %d of ticket %d: %w", j.ID, j.Ticket, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) work(ctx context.Context, j store.TakedownJob) error {
	d, err := s.st.TicketDetail(ctx, j.Ticket)
	if err != nil {
		return err
	}
	contacts, err := s.st.Contacts(ctx, "")
	if err != nil {
		return err
	}
	out := s.resolve(ctx, j, d.Indicators, contacts)
	now := s.cfg.Now()
	defer s.cfg.Queued()
	return s.st.Update(ctx, func(tx *store.Tx) error {
		queued, err := s.queueRequests(ctx, tx, j, d.Ticket, &out, now)
		if err != nil {
			return err
		}
		retrying := len(out.retry) > 0 && j.Attempts+1 < maxAttempts
		var next time.Time
		if retrying {
			next = now.Add(max(retryWait(j.Attempts), out.wait))
			for i := range out.failed {
				out.failed[i] += ": tried again from " + next.UTC().Format("2006-01-02 15:04 UTC")
			}
			if err := tx.RetryTakedownJob(ctx, j.ID, out.retry, strings.Join(out.failed, "; "), next); err != nil {
				return err
			}
		} else {
			for i := range out.failed {
				out.failed[i] += fmt.Sprintf(": given up after %d attempts", j.Attempts+1)
			}
			if err := tx.FinishTakedownJob(ctx, j.ID, now); err != nil {
				return err
			}
		}
		// A retry that changed nothing is not worth a mail; the first
		// run, a retry that sent something, and the last one are.
		if j.Attempts > 0 && len(queued) == 0 && retrying {
			return nil
		}
		return s.confirm(ctx, tx, j, d.Ticket, queued, &out, now)
	})
}

// resolve finds the abuse contacts of the job's values, outside any
// transaction.
func (s *Service) resolve(ctx context.Context, j store.TakedownJob, inds []store.TicketIndicator, contacts []store.Contact) outcome {
	var out outcome
	verified := map[store.IndicatorKey]store.TicketIndicator{}
	var all []store.IndicatorKey
	for _, x := range inds {
		if x.Verified && (x.Type == "url" || x.Type == "domain") {
			k := store.IndicatorKey{Type: x.Type, Value: x.Value}
			verified[k] = x
			all = append(all, k)
		}
	}
	want := j.Values
	if len(want) == 0 {
		want = all
	}
	ov := overrides(contacts)
	cache := &lookups{domains: map[string]lookup{}, ips: map[string]lookup{}}
	for _, k := range want {
		x, ok := verified[k]
		if !ok {
			out.refused = append(out.refused, fmt.Sprintf("%s: not a verified URL or domain of the ticket (any more)", defang(k.Type, k.Value)))
			continue
		}
		host := hostOf(k.Type, k.Value)
		if why := s.refusal(k, host, contacts); why != "" {
			out.refused = append(out.refused, defang(k.Type, k.Value)+": "+why)
			continue
		}
		cs, temp, final := s.contactsFor(ctx, host, ov, cache)
		for _, c := range cs {
			src := host
			if c.Source == "hosting" {
				src = c.Via
			}
			out.items = append(out.items, item{typ: k.Type, value: k.Value, firstSeen: x.FirstSeen, contact: c, source: src})
		}
		for _, e := range temp {
			out.failed = append(out.failed, defang(k.Type, k.Value)+": "+e.Error())
			var le *LookupError
			if errors.As(e, &le) && le.RetryAfter > out.wait {
				out.wait = le.RetryAfter
			}
		}
		if len(temp) > 0 {
			out.retry = append(out.retry, k)
		}
		for _, e := range final {
			out.final = append(out.final, defang(k.Type, k.Value)+": "+e.Error())
		}
		if len(cs) == 0 && len(temp) == 0 && len(final) == 0 {
			out.final = append(out.final, defang(k.Type, k.Value)+": no abuse contact found")
		}
	}
	if n := len(out.failed) + len(out.final); n > 0 {
		s.cfg.Metrics.lookups.WithLabelValues("true").Add(float64(len(out.failed)))
		s.cfg.Metrics.lookups.WithLabelValues("false").Add(float64(len(out.final)))
		s.log.WarnContext(ctx, "takedown look-ups failed", "ticket", j.Ticket, "job", j.ID,
			"temporary", strings.Join(out.failed, "; "), "final", strings.Join(out.final, "; "))
	}
	return out
}

type lookup struct {
	c   Contact
	err error
}

// lookups caches one job's RDAP answers: ten URLs on one host ask once.
type lookups struct {
	domains, ips map[string]lookup
}

// contactsFor finds who can take host down: the registrar (or the abuse
// contact of ours covering the domain) and the hoster of each address
// (or ours covering it). Errors are split into those worth retrying and
// those that are final.
func (s *Service) contactsFor(ctx context.Context, host string, ov []override, cache *lookups) (cs []Contact, temp, final []error) {
	add := func(c Contact, err error) {
		var le *LookupError
		switch {
		case err == nil:
			if !slices.ContainsFunc(cs, func(o Contact) bool { return o.Email == c.Email }) {
				cs = append(cs, c)
			}
		case errors.As(err, &le) && !le.Temporary:
			final = append(final, err)
		default:
			temp = append(temp, err)
		}
	}
	if ip := net.ParseIP(host); ip != nil {
		add(s.hosting(ctx, ip, ov, cache))
		return
	}
	if c := forDomain(ov, host); c != nil {
		add(Contact{Email: c.Email, Name: c.Name, Source: "contact", Via: host}, nil)
	} else {
		dom := registrable(host)
		l, ok := cache.domains[dom]
		if !ok {
			l.c, l.err = s.cfg.RDAP.Domain(ctx, s.cfg.Bootstrap, dom)
			cache.domains[dom] = l
		}
		add(l.c, l.err)
	}
	if !s.cfg.Resolve {
		return
	}
	ips, err := hostingIPs(ctx, s.cfg.Resolver, host)
	if err != nil {
		temp = append(temp, fmt.Errorf("resolving %s: %s", host, cleanErr(err)))
		return
	}
	for _, ip := range ips {
		add(s.hosting(ctx, ip, ov, cache))
	}
	return
}

// hosting finds the abuse contact of the network holding ip.
func (s *Service) hosting(ctx context.Context, ip net.IP, ov []override, cache *lookups) (Contact, error) {
	if !public(ip) {
		return Contact{}, &LookupError{What: "ip " + ip.String(), Why: "a private or reserved address has no hoster to write to"}
	}
	if c := forIP(ov, ip, nil); c != nil {
		return Contact{Email: c.Email, Name: c.Name, Source: "contact", Via: ip.String()}, nil
	}
	l, ok := cache.ips[ip.String()]
	if !ok {
		l.c, l.err = s.cfg.RDAP.IP(ctx, s.cfg.Bootstrap, ip)
		cache.ips[ip.String()] = l
	}
	if l.err == nil && len(l.c.ASNs) > 0 {
		if c := forIP(ov, ip, l.c.ASNs); c != nil {
			return Contact{Email: c.Email, Name: c.Name, Source: "contact", Via: ip.String()}, nil
		}
	}
	return l.c, l.err
}

// refusal says why k must never be taken down, or "". Warninglisted
// values are well-known sites (a takedown of a CDN is a disaster); the
// league's own domains and those of its contacts (hospitals, CERTs,
// abuse desks) are the other side of the fight.
func (s *Service) refusal(k store.IndicatorKey, host string, contacts []store.Contact) string {
	if host == "" {
		return "no host in it"
	}
	if s.cfg.Warninglisted != nil {
		if list, ok := s.cfg.Warninglisted(k.Type, k.Value); ok {
			return "on the warninglist " + list
		}
		if k.Type == "url" {
			if list, ok := s.cfg.Warninglisted("domain", host); ok {
				return "its host is on the warninglist " + list
			}
		}
	}
	_, own, _ := strings.Cut(s.cfg.Address, "@")
	for _, d := range append([]string{own}, s.cfg.Domains...) {
		if under(host, d) {
			return "one of the league's own domains"
		}
	}
	for _, c := range contacts {
		if c.Domain != "" && under(host, c.Domain) {
			return fmt.Sprintf("the domain of a contact of ours (%s %s)", c.Kind, orDefault(c.Name, c.Email))
		}
	}
	return ""
}

func under(host, domain string) bool {
	domain = strings.ToLower(strings.Trim(domain, ". "))
	return domain != "" && (host == domain || strings.HasSuffix(host, "."+domain))
}

func hostOf(typ, value string) string {
	if typ == "domain" {
		return strings.ToLower(strings.TrimSuffix(value, "."))
	}
	u, err := url.Parse(value)
	if err != nil {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

// registrable is the domain a registrar holds for host: evil.example
// for login.evil.example.
func registrable(host string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// defangVia defangs a domain or an address for a mail's text.
func defangVia(v string) string {
	if net.ParseIP(v) != nil {
		if strings.Contains(v, ":") {
			return defang("ipv6", v)
		}
		return defang("ipv4", v)
	}
	return defang("domain", v)
}

func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("takedown: json: " + err.Error()) // only our own plain types
	}
	return b
}

func defang(typ, value string) string {
	return indicator.Defang(indicator.Indicator{Type: indicator.Type(typ), Value: value})
}

// queueRequests drops what was asked of the same desk lately, then
// queues one mail per abuse contact with its items, records each
// request and starts watching the URLs. It returns one line per mail.
func (s *Service) queueRequests(ctx context.Context, tx *store.Tx, j store.TakedownJob, t store.Ticket, out *outcome, now time.Time) ([]string, error) {
	byContact := map[string][]item{}
	var order []string
	for _, it := range out.items {
		last, err := tx.LastTakedownRequest(ctx, it.contact.Email, it.typ, it.value)
		if err != nil {
			return nil, err
		}
		if j.Attempts > 0 && !last.IsZero() && !last.Before(j.CreatedAt) {
			continue // asked by an earlier attempt of this job, forced or not
		}
		if !last.IsZero() && now.Sub(last) < repeatWindow && !j.Force {
			if j.Attempts == 0 {
				out.refused = append(out.refused, fmt.Sprintf("%s: already requested from %s on %s (#takedown! asks again)",
					defang(it.typ, it.value), it.contact.Email, last.UTC().Format("2006-01-02")))
			}
			continue
		}
		if _, ok := byContact[it.contact.Email]; !ok {
			order = append(order, it.contact.Email)
		}
		byContact[it.contact.Email] = append(byContact[it.contact.Email], it)
	}
	sort.Strings(order)
	var lines []string
	watched := map[string]bool{}
	for _, email := range order {
		items := byContact[email]
		m, err := s.requestMail(t, items, now)
		if err != nil {
			return nil, err
		}
		if err := s.enqueue(ctx, tx, m, "abuse"); err != nil {
			return nil, err
		}
		c := items[0].contact
		var vals []string
		for _, it := range items {
			r := &store.TakedownRequest{Ticket: t.Number, Job: j.ID, Type: it.typ, Value: it.value, Contact: email,
				ContactName: c.Name, Source: c.Source, Outbox: m.ID, RequestedAt: now}
			if _, err := tx.AddTakedownRequest(ctx, r); err != nil {
				return nil, err
			}
			s.cfg.Metrics.requests.WithLabelValues(c.Source).Inc()
			vals = append(vals, defang(it.typ, it.value))
			if it.typ == "url" && !watched[it.value] && s.cfg.Checker != nil {
				watched[it.value] = true
				if err := tx.StartWatch(ctx, t.Number, it.value, now, s.cfg.CheckInterval); err != nil {
					return nil, err
				}
			}
		}
		who := contactLabel(c)
		line := fmt.Sprintf("%s (%s): %s", who, sourceWords(c), strings.Join(vals, ", "))
		ev := store.Event{Ticket: t.Number, At: now, Actor: "leaguemail", Kind: "takedown-requested",
			Detail: "takedown requested from " + line}
		ev.Data = jsonOf(map[string]any{"contact": email, "source": c.Source, "via": c.Via, "outbox": m.ID, "values": vals, "job": j.ID})
		if _, err := tx.AddEvent(ctx, ev); err != nil {
			return nil, err
		}
		lines = append(lines, line)
	}
	return lines, nil
}

func contactLabel(c Contact) string {
	if c.Name == "" {
		return c.Email
	}
	return c.Name + " <" + c.Email + ">"
}

func sourceWords(c Contact) string {
	switch c.Source {
	case "registrar":
		return "registrar of " + c.Via + ", from RDAP"
	case "hosting":
		return "hoster of " + c.Via + ", from RDAP"
	}
	return "our abuse contact covering " + c.Via
}

// requestMail composes the takedown request to one abuse desk.
func (s *Service) requestMail(t store.Ticket, items []item, now time.Time) (*store.OutboxMail, error) {
	c := items[0].contact
	var text strings.Builder
	var inds []store.MailIndicator
	var atts []store.MailFile
	for i, it := range items {
		inds = append(inds, store.MailIndicator{Type: it.typ, Value: it.value})
		fmt.Fprintf(&text, "%d. %s %s\n", i+1, it.typ, defang(it.typ, it.value))
		for _, l := range strings.Split(s.facts(t, it, defangVia), "\n") {
			fmt.Fprintf(&text, "   %s\n", l)
		}
		text.WriteString("\n")
		// XARF carries live values, the text defanged ones.
		live := s.facts(t, it, func(v string) string { return v })
		x, err := xarfFor(s.cfg.Address, s.cfg.Name, t.Number, it.typ, it.value, it.source, it.firstSeen, live)
		if err != nil {
			return nil, err
		}
		atts = append(atts, store.MailFile{Filename: fmt.Sprintf("xarf-%d.json", i+1), ContentType: "application/json", Data: x})
	}
	d := store.MailData{Subject: t.Subject, Indicators: inds, IndicatorCount: len(inds), RecipientName: c.Name,
		Text: strings.TrimRight(text.String(), "\n"), Created: t.CreatedAt, TLP: t.TLP, Files: atts}
	what := "phishing"
	if len(items) > 1 {
		what = fmt.Sprintf("phishing (%d indicators)", len(items))
	}
	subject := s.tag(t.Number) + " Takedown request: " + what
	return s.outMail(t.Number, store.KindTakedown, c.Email, subject, d, now), nil
}

// facts are the evidence of one item in plain words: what an abuse desk
// needs to act without opening anything (no screenshot, no live link).
func (s *Service) facts(t store.Ticket, it item, show func(string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "First seen %s in a phishing mail reported to the league by ", it.firstSeen.UTC().Format("2006-01-02 15:04 UTC"))
	if t.Institution != nil {
		b.WriteString("a healthcare organisation (" + orDefault(t.Institution.Country, "country not given") + ")")
	} else {
		b.WriteString("a healthcare organisation")
	}
	b.WriteString(";\nverified as malicious by a league triager.\n")
	switch it.contact.Source {
	case "hosting":
		fmt.Fprintf(&b, "The host resolves to %s, in your network.", show(it.contact.Via))
	case "registrar":
		fmt.Fprintf(&b, "The domain %s is registered through you.", show(it.contact.Via))
	default:
		fmt.Fprintf(&b, "%s is in what you asked us to report to you.", show(it.contact.Via))
	}
	return b.String()
}

// confirm tells the triager who gave the command what came of it.
func (s *Service) confirm(ctx context.Context, tx *store.Tx, j store.TakedownJob, t store.Ticket, queued []string, out *outcome, now time.Time) error {
	var b strings.Builder
	if len(queued) > 0 {
		b.WriteString("Takedown requests queued (each with an XARF v4 report attached):\n")
		for _, l := range queued {
			b.WriteString("- " + l + "\n")
		}
	} else {
		b.WriteString("No takedown request was queued.\n")
	}
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		b.WriteString("\n" + title + "\n")
		for _, l := range lines {
			b.WriteString("- " + l + "\n")
		}
	}
	section("Refused:", out.refused)
	section("Look-ups that failed and are retried:", out.failed)
	section("Could not be resolved:", out.final)
	if s.cfg.Checker != nil && len(queued) > 0 {
		b.WriteString("\nThe URLs are checked until they are gone; you will be told.\n")
	}
	cmd := "#takedown"
	if j.Force {
		cmd += "!"
	}
	for _, v := range j.Values {
		cmd += " " + defang(v.Type, v.Value)
	}
	to := j.RequestedBy
	d := store.MailData{Subject: t.Subject, TLP: t.TLP, Severity: t.Severity, Command: cmd, Result: strings.TrimRight(b.String(), "\n")}
	prefix := "Takedown: "
	if j.Attempts > 0 {
		prefix = "Takedown, retried: "
	}
	m := s.outMail(t.Number, store.KindCommandConfirm, to, s.subject(t.Number, prefix, t.Subject), d, now)
	return s.enqueue(ctx, tx, m, "triager")
}
