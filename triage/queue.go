package triage

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

func (in *intake) ticketData(t *store.Ticket, corr *store.MailCorrelation) store.MailData {
	d := store.MailData{
		Ticket: t.Number, Tag: in.g.tag(t.Number), Subject: t.Subject, Reporter: t.Reporter,
		ReporterName: t.ReporterName, IndicatorCount: len(in.msg.Indicators), Attachments: len(in.msg.Attachments),
		Correlation: corr, Follows: t.Follows, Errors: in.msg.Errors, Indicators: []store.MailIndicator{},
	}
	if t.Institution != nil {
		d.Institution, d.Country = t.Institution.Name, t.Institution.Country
	}
	for i, x := range in.msg.Indicators {
		if i == 100 {
			break
		}
		d.Indicators = append(d.Indicators, store.MailIndicator{Type: x.Type, Value: x.Value})
	}
	return d
}

func (g *Gateway) tag(n int64) string { return fmt.Sprintf("[%s #%d]", g.cfg.Tag, n) }

// subject builds the subject of one of our mails about ticket n: the tag,
// then the reporter's subject without earlier tags, on one line.
func (g *Gateway) subject(n int64, prefix, orig string) string {
	orig = oneLine(orig)
	// Drop tags of ours already there ("Re: [League #3] ...").
	for {
		i := strings.Index(orig, "["+g.cfg.Tag+" #")
		if i < 0 {
			break
		}
		j := strings.Index(orig[i:], "]")
		if j < 0 {
			break
		}
		orig = strings.TrimSpace(orig[:i] + orig[i+j+1:])
	}
	if orig == "" {
		orig = "(no subject)"
	}
	if utf8.RuneCountInString(orig) > 160 {
		orig = string([]rune(orig)[:160]) + "..."
	}
	return g.tag(n) + " " + prefix + orig
}

// newMessageID makes the Message-ID of a mail we will send about ticket n.
func (g *Gateway) newMessageID(n int64) string {
	b := make([]byte, 12)
	rand.Read(b)
	_, dom, _ := strings.Cut(g.address, "@")
	return fmt.Sprintf("<t%d.%s@%s>", n, hex.EncodeToString(b), dom)
}

// queueAck queues the acknowledgement of a new report, or records why it
// is suppressed: a mail that must not be answered (DESIGN.md invariant 3),
// a sender our MTA could not authenticate (unauth, invariant 7: RFC 3834
// section 4 asks a responder not to answer a From it cannot trust, and a
// forged From would make the league's signed mail backscatter), or a
// sender over the rate limit. Over the global budget of automatic mail it
// is queued all the same: notify holds it until the budget allows.
func (in *intake) queueAck(n int64, data store.MailData, unauth string) error {
	ok, reason, err := in.ackAllowed(unauth)
	if err != nil {
		return err
	}
	state := store.OutboxQueued
	if !ok {
		state = store.OutboxSuppressed
	}
	m := in.outMail(n, store.KindAck, in.from, in.g.subject(n, "Received: ", in.g.quoteSubject(in.msg.Subject)), data, true)
	m.State, m.LastError = state, reason
	return in.enqueue(n, m, "reporter")
}

// ackAllowed says whether the mail's sender may get an acknowledgement,
// or why not; see queueAck.
func (in *intake) ackAllowed(unauth string) (bool, string, error) {
	ok, reason := in.g.Answerable(in.msg)
	if ok && unauth != "" && !in.g.cfg.AckUnauthenticated {
		ok, reason = false, "unauthenticated sender: "+unauth
	}
	if ok {
		since := in.now.Add(-in.g.cfg.AckWindow)
		count, err := in.tx.CountQueued(in.ctx, store.KindAck, in.from, since, in.g.cfg.AckLimit)
		if err != nil {
			return false, "", err
		}
		if count >= in.g.cfg.AckLimit {
			ok, reason = false, fmt.Sprintf("rate limit: %d acknowledgements to %s in the last %s", count, in.from, in.g.cfg.AckWindow)
		}
	}
	return ok, reason, nil
}

// maxQuotedSubject is how much of a reporter's subject an acknowledgement
// quotes: enough to recognise the report, too little to carry a spammer's
// message to a forged sender.
const maxQuotedSubject = 80

// quoteSubject is a reporter's subject as an acknowledgement quotes it:
// defanged (notify defangs every header again), on one line, cut.
func (g *Gateway) quoteSubject(s string) string {
	s = g.extract.DefangText(oneLine(s))
	if utf8.RuneCountInString(s) > maxQuotedSubject {
		s = string([]rune(s)[:maxQuotedSubject]) + "..."
	}
	return s
}

// markPending marks, in the data of a triagers' mail, the indicators that
// are pending evidence on ticket n, with who sent them.
func (in *intake) markPending(n int64, d *store.MailData) error {
	pending, err := in.tx.PendingEvidence(in.ctx, n)
	if err != nil {
		return err
	}
	for i := range d.Indicators {
		x := &d.Indicators[i]
		if from, ok := pending[store.IndicatorKey{Type: x.Type, Value: x.Value}]; ok {
			x.Pending, x.From = true, from
		}
	}
	return nil
}

// queueTriagerNotices tells the triagers ts of the new ticket, or, over
// the budget of automatic mail, adds it to each one's digest.
func (in *intake) queueTriagerNotices(n int64, ts []string, data store.MailData) error {
	over, err := in.overBudget()
	if err != nil {
		return err
	}
	for _, t := range ts {
		if over {
			if err := in.addToDigest(n, t, "new report", data); err != nil {
				return err
			}
			continue
		}
		m := in.outMail(n, store.KindTriagerNotice, t, in.g.subject(n, "New report: ", in.msg.Subject), data, false)
		if err := in.enqueue(n, m, "triager"); err != nil {
			return err
		}
	}
	return nil
}

// overBudget reports whether the automatic mail of the last hour has
// spent the budget (DESIGN.md invariant 7): a flood of reports, forged or
// not, must not become a flood of mail.
func (in *intake) overBudget() (bool, error) {
	count, err := in.tx.CountAutomaticUpTo(in.ctx, in.now.Add(-time.Hour), in.g.cfg.AutoMailsPerHour)
	if err != nil {
		return false, err
	}
	return count >= in.g.cfg.AutoMailsPerHour, nil
}

// addToDigest adds a notice about ticket n to the digest waiting for
// triager to, or queues a new digest, sent DigestEvery from now.
func (in *intake) addToDigest(n int64, to, what string, data store.MailData) error {
	entry := store.DigestEntry{Ticket: n, Subject: data.Subject, What: what, At: in.now, Indicators: data.IndicatorCount}
	m, found, err := in.tx.OpenDigest(in.ctx, to)
	if err != nil {
		return err
	}
	if found {
		d, err := m.MailData()
		if err != nil {
			return err
		}
		d.Digest = append(d.Digest, entry)
		m.SetData(d)
		if err := in.tx.SetOutboxData(in.ctx, m.ID, m.Data); err != nil {
			return err
		}
	}
	g := in.g
	if !found {
		m = store.OutboxMail{Kind: store.KindTriagerDigest, From: g.address, MessageID: g.newMessageID(0),
			Subject:  fmt.Sprintf("[%s] Digest: reports and updates while the gateway was busy", g.cfg.Tag),
			Template: store.KindTriagerDigest, CreatedAt: in.now, NextAttemptAt: in.now.Add(g.cfg.DigestEvery),
			Cause: in.mail, Recipients: []string{to}, ReplyTo: g.address}
		m.SetData(store.MailData{Digest: []store.DigestEntry{entry}})
		if _, err := in.tx.Enqueue(in.ctx, &m); err != nil {
			return err
		}
	}
	ev := in.event(n, "digested", fmt.Sprintf("over the budget of %d automatic mails an hour: the %s goes to %s in a digest (%s)",
		g.cfg.AutoMailsPerHour, what, to, m.MessageID))
	ev.Actor = "leaguemail"
	_, err = in.tx.AddEvent(in.ctx, ev)
	return err
}

// outMail composes one outbox mail about ticket n to one recipient, with
// the recipient's own reply token. thread makes it a reply to the mail
// being taken in.
func (in *intake) outMail(n int64, kind, to, subject string, data store.MailData, thread bool) *store.OutboxMail {
	g := in.g
	m := &store.OutboxMail{
		Ticket: n, Kind: kind, From: g.address, MessageID: g.newMessageID(n), Subject: subject,
		Template: kind, CreatedAt: in.now, Cause: in.mail, Recipients: []string{},
	}
	if to != "" {
		m.Recipients = []string{to}
		m.ReplyTo = replytoken.Address(g.address, g.tokens.Issue(n, to))
	}
	if id := normID(in.msg.MessageID); thread && id != "" {
		for _, r := range in.msg.References {
			if r = normID(r); r != "" {
				m.References = append(m.References, r)
			}
		}
		m.References = append(m.References, id)
		if len(m.References) > 10 {
			m.References = append(m.References[:1], m.References[len(m.References)-9:]...)
		}
		m.InReplyTo = id
	}
	data.ReplyTo = m.ReplyTo
	m.SetData(data)
	return m
}

// enqueue adds m to the outbox, records it on the ticket, and makes its
// recipient a participant.
func (in *intake) enqueue(n int64, m *store.OutboxMail, role string) error {
	if err := in.inLanguage(m); err != nil {
		return err
	}
	if _, err := in.tx.Enqueue(in.ctx, m); err != nil {
		return err
	}
	to := strings.Join(m.Recipients, ", ")
	ev := in.event(n, "queued", fmt.Sprintf("%s to %s queued (%s)", m.Kind, to, m.MessageID))
	if m.State == store.OutboxSuppressed {
		ev.Kind, ev.Detail = "suppressed", fmt.Sprintf("%s to %s not sent: %s", m.Kind, orNone(to), m.LastError)
	}
	ev.Actor = "leaguemail"
	ev.Data = mustJSON(map[string]any{"outbox": m.ID})
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	if m.State == store.OutboxSuppressed {
		return nil
	}
	return in.tx.AddParticipants(in.ctx, n, m.Recipients, role, in.now)
}

func orNone(s string) string {
	if s == "" {
		return "(no one)"
	}
	return s
}

// inLanguage records in m's data the language of its recipient, when the
// contacts know it: notify writes the mail from that language's
// templates, or the default language's when there are none.
func (in *intake) inLanguage(m *store.OutboxMail) error {
	if len(m.Recipients) != 1 {
		return nil
	}
	lang, err := in.tx.Lang(in.ctx, m.Recipients[0])
	if err != nil || lang == "" {
		return err
	}
	d, err := m.MailData()
	if err != nil || d.Lang != "" {
		return err
	}
	d.Lang = lang
	m.SetData(d)
	m.Subject = localSubject(m.Subject, d.Tag, lang)
	return nil
}

// subjectWords are the words our subjects start with, after the tag, in
// the languages the templates exist in.
var subjectWords = map[string]map[string]string{
	"fr": {"Received: ": "Reçu : ", "Added: ": "Ajouté : ", "New report: ": "Nouveau signalement : ",
		"Escalation: ": "Transmission : ", "Alert: ": "Alerte : ", "Done: ": "Fait : ", "Not done: ": "Pas fait : ",
		"Follow-up: ": "Suite : ", "Commands not run: ": "Commandes non exécutées : ",
		"Answer to the escalation: ": "Réponse à la transmission : ", "Answer to the alert: ": "Réponse à l'alerte : "},
}

// localSubject writes the word after the tag of one of our subjects in
// the recipient's language, when there is one for it.
func localSubject(subject, tag, lang string) string {
	base, _, _ := strings.Cut(lang, "-")
	words := subjectWords[base]
	if words == nil || tag == "" || !strings.HasPrefix(subject, tag+" ") {
		return subject
	}
	rest := subject[len(tag)+1:]
	for en, local := range words {
		if strings.HasPrefix(rest, en) {
			return tag + " " + local + rest[len(en):]
		}
	}
	return subject
}
