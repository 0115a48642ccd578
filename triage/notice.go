package triage

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// maxWords bounds, in characters, the reporter's words a notice, an
// update or an escalation quotes: enough for "two agents clicked, one
// entered a password", too little to carry a mailbox.
const maxWords = 2000

// update is a triagers' update about one ticket, gathered while a mail is
// taken in: one incoming mail makes at most one update (issue 20), so the
// answer to an escalation and the commands in it that could not run are
// told together.
type update struct {
	n        int64
	prefix   string // of the subject, from the first part
	commands []string
	results  []string
	text     string
	inds     []store.MailIndicator
	count    int
	files    []store.MailAttachment
	// everyone sends it to every triager, even when the ticket has an
	// owner: a forged triager's commands concern all of them.
	everyone bool
}

// tellTriagers adds to the update about ticket n that every triager gets.
func (in *intake) tellTriagers(n int64, prefix, command, result, text string) error {
	in.addUpdate(update{n: n, prefix: prefix, commands: lines(command), results: lines(result), text: text, everyone: true})
	return nil
}

// tellOwner adds to the update about ticket n that its owner gets, or
// every triager when nobody took it.
func (in *intake) tellOwner(u update) { in.addUpdate(u) }

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (in *intake) addUpdate(u update) {
	for _, have := range in.updates {
		if have.n != u.n {
			continue
		}
		have.commands = append(have.commands, u.commands...)
		have.results = append(have.results, u.results...)
		if have.text == "" {
			have.text = u.text
		}
		have.inds = append(have.inds, u.inds...)
		have.count += u.count
		have.files = append(have.files, u.files...)
		have.everyone = have.everyone || u.everyone
		return
	}
	in.updates = append(in.updates, &u)
}

// flushUpdates queues the updates gathered for the mail, each to the
// ticket's owner or every triager, threaded to their notice of the
// ticket; over the budget of automatic mail, into their digests.
func (in *intake) flushUpdates() error {
	for _, u := range in.updates {
		if err := in.sendUpdate(u); err != nil {
			return err
		}
	}
	in.updates = nil
	return nil
}

func (in *intake) sendUpdate(u *update) error {
	n := u.n
	t, err := in.tx.Ticket(in.ctx, n)
	if err != nil {
		return err
	}
	ts, err := in.triagerAddrs()
	if err != nil {
		return err
	}
	if !u.everyone {
		w, err := in.tx.Work(in.ctx, n)
		if err != nil {
			return err
		}
		if owner := strings.ToLower(w.Assignee); owner != "" && slices.Contains(ts, owner) {
			ts = []string{owner}
		}
	}
	inds := u.inds
	if inds == nil {
		inds = []store.MailIndicator{}
	}
	data := store.MailData{Ticket: n, Tag: in.g.tag(n), Subject: t.Subject, Reporter: t.Reporter,
		Indicators: inds, IndicatorCount: max(u.count, len(inds)), Severity: t.Severity, TLP: t.TLP,
		Command: strings.Join(u.commands, "\n"), Result: strings.Join(u.results, "\n\n"), Text: u.text, Attached: u.files}
	if err := in.markPending(n, &data); err != nil {
		return err
	}
	over, err := in.overBudget()
	if err != nil {
		return err
	}
	for _, to := range ts {
		if over {
			if err := in.addToDigest(n, to, "update: "+strings.TrimSuffix(strings.TrimSpace(u.prefix), ":"), data); err != nil {
				return err
			}
			continue
		}
		m := in.outMail(n, store.KindTriagerUpdate, to, in.g.subject(n, u.prefix, t.Subject), data, false)
		if err := in.threadTo(m, n, store.KindTriagerNotice); err != nil {
			return err
		}
		if err := in.enqueue(n, m, "triager"); err != nil {
			return err
		}
	}
	return nil
}

// threadTo makes m part of its recipient's thread of ticket n: the first
// mail of kind they got about it (their notice, their acknowledgement)
// heads its References and, if m answers no mail, is its In-Reply-To, so
// that a mail client shows one thread per ticket (RFC 5322 section 3.6.4).
func (in *intake) threadTo(m *store.OutboxMail, n int64, kind string) error {
	if len(m.Recipients) != 1 {
		return nil
	}
	root, err := in.tx.ThreadRoot(in.ctx, n, kind, m.Recipients[0])
	if err != nil || root == "" || root == m.MessageID {
		return err
	}
	if m.InReplyTo == "" {
		m.InReplyTo = root
	}
	if !slices.Contains(m.References, root) {
		m.References = append([]string{root}, m.References...)
	}
	return nil
}

// excerpt is the sender's own text, cut to a size a notice can carry,
// with the mail's indicators defanged (DESIGN.md invariant 6): a CERT's
// answer often names the very URLs it is about, and a triager's mail
// client would make links of them.
func excerpt(msg *parser.Message) string { return wordsOf(msg.Text, msg.Indicators, maxWords) }

// wordsOf cuts text at limit characters, at a line or word end when one
// is near, and defangs the indicators in it.
func wordsOf(text string, inds []parser.Indicator, limit int) string {
	s := strings.TrimSpace(text)
	// The longest first: a URL before the domain inside it.
	inds = slices.Clone(inds)
	slices.SortStableFunc(inds, func(a, b parser.Indicator) int { return len(b.Value) - len(a.Value) })
	for _, x := range inds {
		d := indicator.Defang(indicator.Indicator{Type: indicator.Type(x.Type), Value: x.Value})
		if d != x.Value {
			s = strings.ReplaceAll(s, x.Value, d)
		}
	}
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	cut := string([]rune(s)[:limit])
	if i := strings.LastIndexAny(cut, "\n "); i > len(cut)*3/4 {
		cut = cut[:i]
	}
	return strings.TrimSpace(cut) + "\n[...]"
}

// filesOf lists a mail's attachments as a notice shows them.
func filesOf(msg *parser.Message) []store.MailAttachment {
	var out []store.MailAttachment
	for i, a := range msg.Attachments {
		if i == 50 {
			break
		}
		typ := a.ContentType
		if a.SniffedType != "" && a.SniffedType != typ {
			typ += " (reads as " + a.SniffedType + ")"
		}
		out = append(out, store.MailAttachment{Name: oneLine(a.Filename), Type: oneLine(typ), Size: a.Size, SHA256: a.SHA256, Depth: a.Depth})
	}
	return out
}
