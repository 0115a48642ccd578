package sla

import (
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
)

// A triager's daily digest comes at DigestAt in the time zone of their
// shift (UTC without one), once a day: the day it went is recorded, so a
// restart sends no second one and a gateway down at that hour sends it
// when it is back. The first digest comes at the first DigestAt after the
// gateway first ran for that triager: a new gateway does not greet every
// triager with one.

// maxDigestRows bounds each list of a digest.
const maxDigestRows = 100

// lastDue returns the latest DigestAt in loc at or before now.
func lastDue(now time.Time, loc *time.Location, at time.Duration) time.Time {
	lt := now.In(loc)
	h, m := int(at/time.Hour), int(at%time.Hour/time.Minute)
	due := time.Date(lt.Year(), lt.Month(), lt.Day(), h, m, 0, 0, loc)
	if due.After(now) {
		due = time.Date(lt.Year(), lt.Month(), lt.Day()-1, h, m, 0, 0, loc)
	}
	return due
}

func (r *tick) digests() error {
	if r.m.cfg.DigestAt < 0 {
		return nil
	}
	for _, tr := range r.triagers {
		loc := r.rota.Location(tr)
		due := lastDue(r.now, loc, r.m.cfg.DigestAt)
		last, err := r.tx.LastDigest(r.ctx, tr)
		if err != nil {
			return err
		}
		if !last.Before(due) {
			continue
		}
		var id int64
		if !last.IsZero() {
			if id, err = r.queueDigest(tr, loc, due, last); err != nil {
				return err
			}
		}
		if _, err := r.tx.RecordDigest(r.ctx, tr, due, id); err != nil {
			return err
		}
	}
	return nil
}

// queueDigest queues triager's digest due at due; since is the last one.
func (r *tick) queueDigest(triager string, loc *time.Location, due, since time.Time) (int64, error) {
	camps, err := r.tx.Campaigns(r.ctx, since, maxDigestRows)
	if err != nil {
		return 0, err
	}
	takedowns, pending, err := r.tx.PendingTakedowns(r.ctx, maxDigestRows)
	if err != nil {
		return 0, err
	}
	text, overdue := r.digestText(loc, due, since, camps)
	text += takedownText(takedowns, pending, loc)
	cfg := r.m.cfg
	m := store.OutboxMail{
		Kind: store.KindDailyDigest, From: cfg.Address, ReplyTo: cfg.Address, MessageID: r.m.messageID(0),
		Subject:  fmt.Sprintf("[%s] Daily digest: %d open, %d overdue", cfg.Tag, len(r.tickets), overdue),
		Template: store.KindDailyDigest, CreatedAt: r.now, Recipients: []string{triager},
	}
	m.SetData(store.MailData{Text: text, Created: due})
	id, err := r.tx.Enqueue(r.ctx, &m)
	if err != nil {
		return 0, err
	}
	r.queued++
	return id, nil
}

// digestText writes the digest as a terminal client shows it: plain
// text, one ticket a line, in columns.
func (r *tick) digestText(loc *time.Location, due, since time.Time, camps []store.Campaign) (string, int) {
	type row struct {
		t store.SLATicket
		c Clock
	}
	var open, overdue, waiting []row
	for _, t := range r.tickets {
		x := row{t, r.m.cfg.Targets.Clock(t, r.now)}
		open = append(open, x)
		if x.c.Overdue {
			overdue = append(overdue, x)
		}
		if x.c.Waiting {
			waiting = append(waiting, x)
		}
	}
	byAge := func(a, b row) int { return a.t.CreatedAt.Compare(b.t.CreatedAt) }
	slices.SortStableFunc(open, byAge)
	slices.SortStableFunc(overdue, func(a, b row) int { return a.c.Due().Compare(b.c.Due()) })
	slices.SortStableFunc(waiting, func(a, b row) int { return a.t.Wait.Since.Compare(b.t.Wait.Since) })

	var b strings.Builder
	fmt.Fprintf(&b, "Daily digest of %s (%s): %d open %s, %d overdue, %d waiting.\n",
		due.In(loc).Format("Mon 2 Jan 2006 15:04"), loc, len(open), plural(len(open), "ticket", "tickets"), len(overdue), len(waiting))
	local := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	list := func(title string, rows []row, line func(w *tabwriter.Writer, x row)) {
		fmt.Fprintf(&b, "\n%s\n", title)
		if len(rows) == 0 {
			b.WriteString("  (none)\n")
			return
		}
		w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for i, x := range rows {
			if i == maxDigestRows {
				fmt.Fprintf(w, "  ... and %d more: leaguemail tickets list\n", len(rows)-i)
				break
			}
			line(w, x)
		}
		w.Flush()
	}
	owner := func(t store.SLATicket) string {
		if t.Assignee == "" {
			return "not taken"
		}
		return t.Assignee
	}
	list("Overdue, the longest overdue first:", overdue, func(w *tabwriter.Writer, x row) {
		fmt.Fprintf(w, "  #%d\t%s\t%s due %s\t%s\t%s\n", x.t.Number, x.c.Severity, dueWhat(x.c), dueIn(x.c.Due(), r.now),
			owner(x.t), oneLine(x.t.Subject))
	})
	list("Open, the oldest first:", open, func(w *tabwriter.Writer, x row) {
		due := "due " + dueIn(x.c.Due(), r.now)
		if x.c.Waiting {
			due = "waiting"
		}
		fmt.Fprintf(w, "  #%d\t%s\t%s old\t%s\t%s\t%s\n", x.t.Number, x.c.Severity, Short(r.now.Sub(x.t.CreatedAt)), due,
			owner(x.t), oneLine(x.t.Subject))
	})
	list("Waiting, the longest first:", waiting, func(w *tabwriter.Writer, x row) {
		until := "until an answer"
		if !x.t.Wait.Until.IsZero() {
			until = "until " + local(x.t.Wait.Until) + " or an answer"
		}
		why := oneLine(x.t.Wait.Reason)
		if why == "" {
			why = "(no reason given)"
		}
		fmt.Fprintf(w, "  #%d\tsince %s\t%s\t%s\t%s\n", x.t.Number, local(x.t.Wait.Since), until, orNone(x.t.Wait.By), why)
	})
	fmt.Fprintf(&b, "\nNew campaigns since %s (indicators that reports of several institutions share):\n", local(since))
	if len(camps) == 0 {
		b.WriteString("  (none)\n")
	}
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range camps {
		var ns []string
		for _, n := range c.Tickets {
			ns = append(ns, fmt.Sprintf("#%d", n))
		}
		// Defanged here as in every text of ours (DESIGN.md invariant 6);
		// notify defangs the text again.
		v := indicator.Defang(indicator.Indicator{Type: indicator.Type(c.Type), Value: c.Value})
		fmt.Fprintf(w, "  %s\t%s\t%d institutions\t%s\n", c.Type, oneLine(v), c.Sources, strings.Join(ns, " "))
	}
	w.Flush()
	return b.String(), len(overdue)
}

// takedownText lists the takedowns not done yet, defanged.
func takedownText(ps []store.PendingTakedown, total int, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nTakedowns pending (%d), the oldest first:\n", total)
	if total == 0 {
		b.WriteString("  (none)\n")
		return b.String()
	}
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, p := range ps {
		since := p.Since.In(loc).Format("2006-01-02 15:04")
		if p.Value == "" {
			fmt.Fprintf(w, "  #%d\t%s\tsince %s\n", p.Ticket, p.State, since)
			continue
		}
		v := indicator.Defang(indicator.Indicator{Type: indicator.Type(p.Type), Value: p.Value})
		fmt.Fprintf(w, "  #%d\t%s\t%s\tasked of %s\tsince %s\n", p.Ticket, oneLine(v), p.State, p.Contact, since)
	}
	if total > len(ps) {
		fmt.Fprintf(w, "  ... and %d more\n", total-len(ps))
	}
	w.Flush()
	return b.String()
}
