package triage

import (
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// reply relays the text under #reply to the reporter, from the league's
// address: the reporter never sees a triager's address, name or
// Message-ID. It threads to the reporter's report, not to the triager's
// mail.
func (r *cmdRun) reply(c parser.Command) (string, error) {
	if err := noArgs(c); err != nil {
		return "", bad("#reply stands alone on its line; its text goes on the lines below it")
	}
	text := strings.TrimSpace(c.Text)
	if text == "" {
		return "", bad("nothing under #reply to send: write the text for the reporter on the lines below #reply, above any quoted text")
	}
	to := r.t.Reporter
	if to == "" {
		return "", bad("#%d has no reporter address to reply to", r.n)
	}
	d := store.MailData{Ticket: r.n, Tag: r.in.g.tag(r.n), Subject: r.t.Subject, Reporter: to, ReporterName: r.t.ReporterName,
		Severity: r.t.Severity, TLP: r.t.TLP, Indicators: []store.MailIndicator{}, Text: text}
	m := r.in.outMail(r.n, store.KindReply, to, r.in.g.subject(r.n, "Re: ", r.t.Subject), d, false)
	if r.t.OpenedBy != 0 {
		id, err := r.in.tx.MessageIDOf(r.in.ctx, r.t.OpenedBy)
		if err != nil {
			return "", err
		}
		if id != "" {
			m.InReplyTo, m.References = id, []string{id}
		}
	}
	if err := r.in.enqueue(r.n, m, "reporter"); err != nil {
		return "", err
	}
	lines := strings.Count(text, "\n") + 1
	// The confirmation quotes exactly what is relayed: the triager sees
	// where the text ended.
	return fmt.Sprintf("your text (%d %s) goes to the reporter %s from %s; exactly this:\n\n%s\n",
		lines, plural(lines, "line", "lines"), to, r.in.g.address, quoteLines(text)), nil
}

// quoteLines puts "> " before every line of text.
func quoteLines(text string) string {
	return "> " + strings.ReplaceAll(text, "\n", "\n> ")
}
