package triage

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// Outcomes (issue 15): closing a ticket tells its reporter, and the
// reporters of the tickets merged into it, what the league concluded, what
// it did and what to do next, as PhishER, Cofense Triage and RTIR's
// "reply to reporters" do. The mail carries only what the reporter may
// learn: verified indicators (DESIGN.md invariant 7), only their own
// unless the ticket is TLP:CLEAR or GREEN (invariant 8), defanged by
// notify (invariant 6), and the triager's words below the command up to
// the first quote (the parser cuts Message.Note there).

// defaultVerdict is the verdict of a #close that names none.
const defaultVerdict = "resolved"

// closeVerdict runs #close [quiet] [VERDICT] [reason].
func (r *cmdRun) closeVerdict(c parser.Command) (string, error) {
	quiet, verdict, rest := closeArgs(c.Args)
	if verdict == "" {
		verdict = defaultVerdict
	}
	return r.conclude(c, rest, quiet, verdict, store.StateClosed, "closed")
}

// rejectVerdict runs #reject [quiet] [reason]: a false positive, benign.
func (r *cmdRun) rejectVerdict(c parser.Command) (string, error) {
	quiet, verdict, rest := closeArgs(c.Args)
	if verdict != "" && verdict != "benign" {
		return "", bad("#reject is the verdict benign; to close as %s write #close %s", verdict, verdict)
	}
	return r.conclude(c, rest, quiet, "benign", store.StateRejected, "rejected as a false positive")
}

// closeArgs reads "quiet" and a verdict from the first two arguments, in
// either order; the rest is the reason.
func closeArgs(args []string) (quiet bool, verdict string, rest []string) {
	rest = args
	for range 2 {
		if len(rest) == 0 {
			break
		}
		a := strings.ToLower(rest[0])
		switch {
		case a == "quiet" && !quiet:
			quiet = true
		case verdict == "" && slices.Contains(store.Verdicts, a):
			verdict = a
		default:
			return quiet, verdict, rest
		}
		rest = rest[1:]
	}
	return quiet, verdict, rest
}

func (r *cmdRun) conclude(c parser.Command, reason []string, quiet bool, verdict string, state store.State, what string) (string, error) {
	c.Args = reason
	res, err := r.end(c, state, what)
	if err != nil {
		return "", err
	}
	if err := r.in.tx.SetVerdict(r.in.ctx, r.n, verdict, r.in.actor(), r.in.now); err != nil {
		return "", err
	}
	res += "; verdict " + verdict
	if quiet {
		return res + "; the reporter is not told (quiet)", nil
	}
	if _, member, err := r.in.tx.Membership(r.in.ctx, r.n); err != nil || member {
		// A request to join is answered by #approve or #deny, not by a
		// verdict on a report.
		return res + "; a membership request: no outcome is sent (#approve or #deny answer it)", err
	}
	told, err := r.tellOutcome(verdict)
	if err != nil {
		return "", err
	}
	return res + "; " + told, nil
}

// tellOutcome queues the outcome of ticket r.n to its reporter and to the
// reporters of the tickets merged into it, one mail per address, and says
// what came of it for the triager's confirmation.
func (r *cmdRun) tellOutcome(verdict string) (string, error) {
	in := r.in
	merged, err := in.tx.MergedInto(in.ctx, r.n)
	if err != nil {
		return "", err
	}
	actions, err := r.actions()
	if err != nil {
		return "", err
	}
	var sent, held []string
	seen := map[string]bool{}
	for _, n := range append([]int64{r.n}, merged...) {
		t, err := in.tx.Ticket(in.ctx, n)
		if err != nil {
			return "", err
		}
		if t.Reporter == "" || seen[t.Reporter] {
			continue
		}
		seen[t.Reporter] = true
		why, err := r.outcomeTo(t, verdict, actions)
		if err != nil {
			return "", err
		}
		if why != "" {
			held = append(held, fmt.Sprintf("%s (#%d): %s", t.Reporter, n, why))
		} else {
			sent = append(sent, fmt.Sprintf("%s (#%d)", t.Reporter, n))
		}
	}
	var parts []string
	if len(sent) > 0 {
		parts = append(parts, "the outcome goes to "+strings.Join(sent, ", "))
	}
	if len(held) > 0 {
		parts = append(parts, "no outcome to "+strings.Join(held, "; "))
	}
	if len(parts) == 0 {
		return "no reporter to tell", nil
	}
	return strings.Join(parts, "; "), nil
}

// outcomeTo queues the outcome to the reporter of ticket t (r.n or one
// merged into it), threaded to their report. It returns why it is held
// back, if it is: a reporter the league must not answer is not answered
// now either (RFC 3834 section 4, DESIGN.md invariants 3 and 7).
func (r *cmdRun) outcomeTo(t store.Ticket, verdict string, actions []store.MailAction) (string, error) {
	in := r.in
	keys, err := in.tx.OutcomeIndicators(in.ctx, r.n, t.Reporter)
	if err != nil {
		return "", err
	}
	inds := []store.MailIndicator{}
	for _, k := range keys {
		if len(inds) == 100 {
			break
		}
		inds = append(inds, store.MailIndicator{Type: k.Type, Value: k.Value, Verified: true})
	}
	d := store.MailData{Ticket: t.Number, Tag: in.g.tag(t.Number), Subject: t.Subject, Reporter: t.Reporter,
		ReporterName: t.ReporterName, Severity: r.t.Severity, TLP: r.t.TLP, Created: t.CreatedAt,
		Indicators: inds, IndicatorCount: len(keys), Verdict: verdict, Actions: actions, Text: triagerNote(in.msg)}
	if t.Institution != nil {
		d.Institution, d.Country = t.Institution.Name, t.Institution.Country
	}
	subject := in.g.subject(t.Number, "Outcome: ", t.Subject)
	if t.OpenedBy != 0 {
		enc, err := in.tx.CameEncrypted(in.ctx, t.OpenedBy)
		if err != nil {
			return "", err
		}
		if enc {
			// A report that came encrypted is not repeated in clear, as
			// its acknowledgement was not: notify encrypts the outcome
			// to the reporter's key when the league holds one, and the
			// mail names neither the subject nor the indicators.
			d.Subject, d.Indicators, d.IndicatorCount = "", []store.MailIndicator{}, 0
			subject = oneLine(in.g.tag(t.Number) + " Outcome of your encrypted report")
		}
	}
	m := in.outMail(t.Number, store.KindOutcome, t.Reporter, subject, d, false)
	if t.OpenedBy != 0 {
		id, err := in.tx.MessageIDOf(in.ctx, t.OpenedBy)
		if err != nil {
			return "", err
		}
		if id != "" {
			m.InReplyTo, m.References = id, []string{id}
		}
	}
	why, err := in.tx.Unanswerable(in.ctx, t.Number)
	if err != nil {
		return "", err
	}
	if why != "" {
		m.State, m.LastError = store.OutboxSuppressed, why
	}
	return why, in.enqueue(t.Number, m, "reporter")
}

// actions lists what the league did about ticket r.n, from its outbox:
// escalations, area alerts and takedown requests that left or will.
func (r *cmdRun) actions() ([]store.MailAction, error) {
	in := r.in
	as, err := in.tx.Actions(in.ctx, r.n, store.KindEscalation, store.KindAlert, store.KindTakedown)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	cs, err := in.tx.Contacts(in.ctx, "")
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Name != "" {
			names[c.Email] = c.Name
		}
	}
	var out []store.MailAction
	alerted := 0
	var alertAt time.Time
	for _, a := range as {
		switch a.Kind {
		case store.KindEscalation:
			var to []string
			for _, rc := range a.Recipients {
				if n := names[rc]; n != "" {
					to = append(to, n)
				} else {
					to = append(to, rc)
				}
			}
			out = append(out, store.MailAction{What: "escalated to " + strings.Join(to, ", "), At: a.At})
		case store.KindAlert:
			// An alert names no reporter, and the reporter learns no
			// other institution's address either.
			if alerted == 0 {
				alertAt = a.At
			}
			alerted += len(a.Recipients)
		case store.KindTakedown:
			out = append(out, store.MailAction{What: "takedown requested", At: a.At})
		}
	}
	if alerted > 0 {
		out = append(out, store.MailAction{What: fmt.Sprintf("%d %s of the area warned", alerted,
			plural(alerted, "institution", "institutions")), At: alertAt})
	}
	slices.SortStableFunc(out, func(a, b store.MailAction) int { return a.At.Compare(b.At) })
	return out, nil
}

// noteUnanswerable records, as ticket n opens, why its reporter must never
// be answered, if so: the outcome, sent days later on a triager's
// command, must not answer a list, a null sender or a forged From that
// the acknowledgement did not answer either.
func (in *intake) noteUnanswerable(n int64, unauth string) error {
	why := ""
	if ok, reason := in.g.Answerable(in.msg); !ok {
		why = reason
	} else if unauth != "" {
		why = "unauthenticated sender: " + unauth
	}
	if why == "" {
		return nil
	}
	return in.tx.SetUnanswerable(in.ctx, n, why)
}
