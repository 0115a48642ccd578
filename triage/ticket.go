package triage

import (
	"fmt"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/mailauth"
	"github.com/hospital-league/leaguemail/store"
)

// open opens a ticket for the mail, following ticket follows (a closed
// one this mail replied to) if not 0, and queues the acknowledgement and
// the triagers' notices.
func (in *intake) open(follows int64, why string) (int64, error) {
	ctx, tx, msg := in.ctx, in.tx, in.msg
	t := &store.Ticket{
		Subject:      oneLine(msg.Subject),
		Reporter:     in.from,
		ReporterName: oneLine(msg.FromName),
		OpenedBy:     in.mail,
		Follows:      follows,
		CreatedAt:    in.now,
	}
	if _, domain, ok := strings.Cut(in.from, "@"); ok {
		inst, err := tx.InstitutionByDomain(ctx, domain)
		if err != nil {
			return 0, err
		}
		t.Institution = inst
	}
	detail := "report from " + in.actor()
	if t.Institution != nil {
		detail += " (" + t.Institution.Name + ")"
	}
	if follows != 0 {
		detail += fmt.Sprintf("; follows #%d: %s", follows, why)
	}
	n, err := tx.OpenTicket(ctx, t, in.event(0, "", detail))
	if err != nil {
		return 0, err
	}
	if err := tx.AttachMail(ctx, store.TicketMail{Mail: in.mail, Ticket: n, Role: "report"}); err != nil {
		return 0, err
	}
	if err := tx.AddParticipant(ctx, n, in.from, "reporter", in.now); err != nil {
		return 0, err
	}
	unauth := in.unauthenticatedWhy()
	if unauth != "" {
		// Whoever it is, it is kept and looked at; but it speaks for no
		// one, and brings no colleague into the conversation.
		if err := tx.Flag(ctx, n, in.event(n, "", "unauthenticated sender: "+unauth)); err != nil {
			return 0, err
		}
	} else if err := in.addCopied(n); err != nil {
		return 0, err
	}
	if err := in.noteUnanswerable(n, unauth); err != nil {
		return 0, err
	}
	if len(msg.Errors) > 0 {
		ev := in.event(n, "parse-errors", "the mail could not be read in full: "+strings.Join(msg.Errors, "; "))
		if _, err := tx.AddEvent(ctx, ev); err != nil {
			return 0, err
		}
	}
	if err := in.sightings(n, in.pendingWhy(false, false)); err != nil {
		return 0, err
	}
	corr, err := in.correlate(n)
	if err != nil {
		return 0, err
	}
	if err := in.commands(n, true); err != nil {
		return 0, err
	}
	// The reporter learns only what the league published: verified
	// indicators of clear or green tickets, never their numbers. Read
	// after the commands, which may have verified, accepted or rejected
	// evidence.
	public, err := tx.PublicCorrelate(ctx, n)
	if err != nil {
		return 0, err
	}
	ack := in.ticketData(t, nil)
	if ack.Correlation = store.Summary(public); ack.Correlation != nil {
		ack.Correlation.Tickets = nil
	}
	if err := in.queueAck(n, ack, unauth); err != nil {
		return 0, err
	}
	ts, err := in.triagerAddrs()
	if err != nil {
		return 0, err
	}
	// A league with no triager yet (an import of an old mailbox) writes
	// no notice: nothing of one is read.
	if len(ts) > 0 {
		notice := in.ticketData(t, corr)
		notice.Unauthenticated = unauth
		// What the reporter wrote ("two agents clicked") is half the report.
		notice.Words, notice.Attached = excerpt(msg), filesOf(msg)
		if err := in.markPending(n, &notice); err != nil {
			return 0, err
		}
		if err := in.queueTriagerNotices(n, ts, notice); err != nil {
			return 0, err
		}
	}
	in.done(DispOpened, n)
	return n, nil
}

// addCopied makes the other recipients of a participant's mail (To, Cc)
// participants too: colleagues copied on a report may reply to it.
func (in *intake) addCopied(n int64) error {
	var copied []string
	for _, a := range append(append([]string(nil), in.msg.To...), in.msg.Cc...) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" || a == in.from || in.g.ownAddress(a) || in.g.ownDomain(a) {
			continue
		}
		copied = append(copied, a)
	}
	return in.tx.AddParticipants(in.ctx, n, copied, "copied", in.now)
}

// correlate records on ticket n which of its indicators other reports had,
// and returns that.
func (in *intake) correlate(n int64) (*store.MailCorrelation, error) {
	c, err := in.tx.Correlation(in.ctx, n)
	if err != nil || c == nil {
		return nil, err
	}
	ev := in.event(n, "correlated", correlationText(c))
	ev.Actor = "leaguemail"
	ev.Data = mustJSON(c)
	_, err = in.tx.AddEvent(in.ctx, ev)
	return c, err
}

// reply puts a reply on its ticket: appended if the sender is a
// participant, kept but flagged if not. A CERT's or institution's answer
// to our escalation or alert is recorded as such and the triagers are
// told, when it is authenticated as theirs. The mail's commands run if it
// has the authority. Its evidence is pending unless the mail is trusted.
func (in *intake) reply(th thread) error {
	n := th.ticket.Number
	ans, err := in.answerer(n)
	if err != nil {
		return err
	}
	var flagWhy string
	if ans != nil && !in.speaksFor(th) {
		// Anyone can write a CERT's From: an answer counts as the CERT's
		// only when our MTA or the escalation's own reply address says
		// it is theirs.
		flagWhy = fmt.Sprintf("mail from %s, who answers for %s, is not authenticated as theirs (%s): kept as a comment; a triager should check it",
			in.actor(), ans.name, in.auth.How)
		ans = nil
	}
	ok := th.verified || ans != nil
	if !ok && flagWhy == "" {
		if ok, err = in.participant(n); err != nil {
			return err
		}
		switch {
		case !ok:
			flagWhy = fmt.Sprintf("reply from %s, who is not a participant of #%d: kept on the ticket, not merged; a triager should check it", in.actor(), n)
		case in.msg.FromProblem != "" || in.auth.Verdict == mailauth.Fail:
			// A participant's address, but a forged one.
			ok, flagWhy = false, fmt.Sprintf("reply as %s, not authenticated (%s): kept on the ticket; a triager should check it",
				in.actor(), orNone(in.unauthenticatedWhy()))
		}
	}
	if flagWhy != "" {
		ok = false
	}
	role := "reply"
	if ans != nil {
		role = "answer"
	}
	if err := in.tx.AttachMail(in.ctx, store.TicketMail{Mail: in.mail, Ticket: n, Role: role, MatchedBy: th.by, Flagged: !ok}); err != nil {
		return err
	}
	if _, err := in.tx.AddEvent(in.ctx, in.event(n, "reply", role+" from "+in.actor()+", matched by "+th.by)); err != nil {
		return err
	}
	disp := DispAppended
	if ok {
		if in.pendingWhy(false, th.verified) == "" {
			if err := in.addCopied(n); err != nil {
				return err
			}
		}
	} else {
		disp = DispFlagged
		if err := in.tx.Flag(in.ctx, n, in.event(n, "", flagWhy)); err != nil {
			return err
		}
	}
	if ans != nil {
		disp = DispAnswer
		if err := in.answered(n, ans); err != nil {
			return err
		}
	}
	if ok {
		if err := in.answerResumes(n); err != nil { // #wait, package sla
			return err
		}
	}
	before, err := in.knownIndicators(n)
	if err != nil {
		return err
	}
	if err := in.sightings(n, in.pendingWhy(!ok, th.verified || ans != nil)); err != nil {
		return err
	}
	if err := in.commands(n, false); err != nil {
		return err
	}
	if ans == nil {
		if err := in.followUp(n, before, ok, flagWhy); err != nil {
			return err
		}
	}
	if err := in.tx.Touch(in.ctx, n, in.now); err != nil {
		return err
	}
	in.done(disp, n)
	return nil
}

// speaksFor reports whether the mail is authenticated as its sender's:
// our MTA vouched for the From domain, or it came to a reply token issued
// to that sender (the escalation's own reply address) and our MTA does not
// say the From domain failed.
func (in *intake) speaksFor(th thread) bool {
	if in.msg.FromProblem != "" {
		return false
	}
	return in.auth.Verdict == mailauth.Pass || (th.verified && in.auth.Verdict != mailauth.Fail)
}

// replyToClosed handles a reply to a closed or rejected ticket. A
// participant's reply within the reopen window reopens a closed ticket;
// anything else (a rejected ticket, an old one, a stranger's mail) opens a
// new ticket that follows the old one. See README.md.
func (in *intake) replyToClosed(th thread) error {
	old := th.ticket
	ok := th.verified
	if !ok && in.pendingWhy(false, false) == "" {
		// A reporter's address alone, unauthenticated, reopens nothing.
		var err error
		if ok, err = in.participant(old.Number); err != nil {
			return err
		}
	}
	since := in.now.Sub(old.ClosedAt)
	var why string
	switch {
	case old.State == store.StateRejected:
		why = fmt.Sprintf("#%d was rejected", old.Number)
	case !ok:
		why = fmt.Sprintf("%s is not a participant of #%d", in.actor(), old.Number)
	case old.ClosedAt.IsZero() || since > in.g.cfg.ReopenWindow:
		why = fmt.Sprintf("#%d was closed more than %s ago", old.Number, days(in.g.cfg.ReopenWindow))
	}
	if why == "" {
		n := old.Number
		if err := in.tx.AttachMail(in.ctx, store.TicketMail{Mail: in.mail, Ticket: n, Role: "reply", MatchedBy: th.by}); err != nil {
			return err
		}
		if _, err := in.tx.AddEvent(in.ctx, in.event(n, "reply", "reply from "+in.actor()+", matched by "+th.by)); err != nil {
			return err
		}
		detail := fmt.Sprintf("reopened by a reply from %s, %s after it was closed", in.actor(), days(since))
		if err := in.tx.SetState(in.ctx, n, store.StateNew, in.event(n, "", detail)); err != nil {
			return err
		}
		before, err := in.knownIndicators(n)
		if err != nil {
			return err
		}
		if err := in.sightings(n, in.pendingWhy(false, th.verified)); err != nil {
			return err
		}
		if err := in.commands(n, false); err != nil {
			return err
		}
		if err := in.followUp(n, before, true, ""); err != nil {
			return err
		}
		in.done(DispReopened, n)
		return nil
	}
	n, err := in.open(old.Number, why)
	if err != nil {
		return err
	}
	ev := in.event(old.Number, "followed-up", fmt.Sprintf("a reply (matched by %s) opened #%d: %s", th.by, n, why))
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	in.done(DispFollowUp, n)
	return nil
}

// quiet records an auto-reply, or a mail from our own address, on the
// ticket it threads to, and neither opens a ticket nor answers it.
func (in *intake) quiet(disp, kind string) error {
	th, err := in.thread()
	if err != nil {
		return err
	}
	if th.ticket == nil {
		in.done(disp+DispUnmatched, 0)
		return nil
	}
	n := th.ticket.Number
	if err := in.tx.AttachMail(in.ctx, store.TicketMail{Mail: in.mail, Ticket: n, Role: kind, MatchedBy: th.by}); err != nil {
		return err
	}
	detail := kind + " from " + in.actor() + ", not answered"
	if in.msg.AutoReason != "" {
		detail += ": " + in.msg.AutoReason
	}
	if _, err := in.tx.AddEvent(in.ctx, in.event(n, kind, detail)); err != nil {
		return err
	}
	in.done(disp, n)
	return nil
}

func days(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Minute).String()
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
