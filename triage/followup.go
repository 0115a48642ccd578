package triage

import (
	"fmt"
	"slices"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// keepCommands keeps, of the mail's command lines, those that are
// commands for its sender: every #word line of a triager's own words
// (below a greeting too), and only the leading ones of anyone else's. A
// hospital that writes "Hello, ... #phishing" reports; it does not command.
func (in *intake) keepCommands() error {
	if !slices.ContainsFunc(in.msg.Commands, func(c parser.Command) bool { return c.AfterText }) {
		return nil
	}
	triager, err := in.isTriager()
	if err != nil || triager {
		return err
	}
	in.msg.Commands = slices.DeleteFunc(slices.Clone(in.msg.Commands), func(c parser.Command) bool { return c.AfterText })
	return nil
}

// known is the set of indicators on a ticket.
type known map[store.IndicatorKey]bool

func (in *intake) knownIndicators(n int64) (known, error) {
	inds, err := in.tx.TicketIndicators(in.ctx, n)
	if err != nil {
		return nil, err
	}
	k := known{}
	for _, x := range inds {
		k[store.IndicatorKey{Type: x.Type, Value: x.Value}] = true
	}
	return k, nil
}

// followUp tells the ticket's owner, or every triager, what a reporter's
// (or any non-triager's) reply to ticket n added: their words, the new
// indicators, the files; and acknowledges the addition to the sender when
// the mail is theirs (ok) and may be answered. before is what the ticket
// held before the mail. flagWhy says why the mail is flagged, if it is.
func (in *intake) followUp(n int64, before known, ok bool, flagWhy string) error {
	if triager, err := in.isTriager(); triager || err != nil {
		return err // a triager's mail is answered by its commands' results
	}
	var added []store.MailIndicator
	for _, x := range in.msg.Indicators {
		if !before[store.IndicatorKey{Type: x.Type, Value: x.Value}] {
			added = append(added, store.MailIndicator{Type: x.Type, Value: x.Value})
		}
	}
	words := excerpt(in.msg)
	files := filesOf(in.msg)
	if words == "" && len(added) == 0 && len(files) == 0 {
		return nil
	}
	role, err := in.tx.ParticipantRole(in.ctx, n, in.from)
	if err != nil {
		return err
	}
	who := in.actor()
	if role != "" {
		who += " (" + role + ")"
	}
	result := fmt.Sprintf("%s added to %s: %d new %s, %d %s.", who, in.g.tag(n),
		len(added), plural(len(added), "indicator", "indicators"), len(files), plural(len(files), "file", "files"))
	if flagWhy != "" {
		result += "\nFLAGGED: " + flagWhy + ". Its indicators are pending until you #accept them."
	}
	shown := added[:min(len(added), 100)]
	in.tellOwner(update{n: n, prefix: "Follow-up: ", results: []string{result}, text: words, inds: shown, count: len(added), files: files})
	if !ok || flagWhy != "" {
		return nil
	}
	return in.ackAddition(n, added)
}

// ackAddition queues the short acknowledgement of a reporter's addition,
// as a reply to their mail, under the same rules as the first one
// (DESIGN.md invariants 3 and 7): an answerable, authenticated sender
// within the rate limit; over the budget it waits in the outbox.
func (in *intake) ackAddition(n int64, added []store.MailIndicator) error {
	t, err := in.tx.Ticket(in.ctx, n)
	if err != nil {
		return err
	}
	data := store.MailData{Ticket: n, Tag: in.g.tag(n), Subject: t.Subject, ReporterName: t.ReporterName,
		Indicators: added[:min(len(added), 100)], IndicatorCount: len(added), Attachments: len(in.msg.Attachments)}
	ok, reason, err := in.ackAllowed(in.unauthenticatedWhy())
	if err != nil {
		return err
	}
	m := in.outMail(n, store.KindAck, in.from, in.g.subject(n, "Added: ", in.g.quoteSubject(t.Subject)), data, true)
	m.Template = "ack-update"
	if err := in.threadTo(m, n, store.KindAck); err != nil {
		return err
	}
	if !ok {
		m.State, m.LastError = store.OutboxSuppressed, reason
	}
	return in.enqueue(n, m, "reporter")
}
