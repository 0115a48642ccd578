package main

import (
	"context"
	"slices"
	"time"

	"github.com/hospital-league/leaguemail/sla"
	"github.com/hospital-league/leaguemail/store"
)

// ticketLine is a line of `tickets list`: the ticket, and where an open
// one stands against its targets ([sla] targets).
type ticketLine struct {
	store.TicketSummary
	// Due is when the next target (first response, else resolve) is due;
	// absent for closed tickets and for waiting ones, whose clock stands.
	Due     *time.Time `json:"due,omitempty"`
	Overdue bool       `json:"overdue"`
	Waiting bool       `json:"waiting"`
	// WaitUntil is when a wait with a duration ends.
	WaitUntil *time.Time `json:"wait_until,omitempty"`
}

func (t ticketLine) dueText() string {
	switch {
	case t.Waiting:
		return "waiting"
	case t.Due == nil:
		return "-"
	case t.Overdue:
		return "OVERDUE " + t.Due.Local().Format(dateFormat)
	}
	return t.Due.Local().Format(dateFormat)
}

// withDue adds the due times to ts, the overdue tickets first (the
// longest overdue first), then the others in their order; overdueOnly
// keeps the overdue ones alone.
func withDue(ctx context.Context, st *store.Store, targets sla.Targets, ts []store.TicketSummary, now time.Time, overdueOnly bool) ([]ticketLine, error) {
	clocks, err := st.SLATickets(ctx, true)
	if err != nil {
		return nil, err
	}
	byNumber := map[int64]store.SLATicket{}
	for _, c := range clocks {
		byNumber[c.Number] = c
	}
	lines := []ticketLine{}
	for _, t := range ts {
		l := ticketLine{TicketSummary: t}
		if c, ok := byNumber[t.Number]; ok {
			clock := targets.Clock(c, now)
			l.Overdue, l.Waiting = clock.Overdue, clock.Waiting
			if !clock.Waiting {
				due := clock.Due()
				l.Due = &due
			} else if !c.Wait.Until.IsZero() {
				until := c.Wait.Until
				l.WaitUntil = &until
			}
		}
		if overdueOnly && !l.Overdue {
			continue
		}
		lines = append(lines, l)
	}
	slices.SortStableFunc(lines, func(a, b ticketLine) int {
		switch {
		case a.Overdue && b.Overdue:
			return a.Due.Compare(*b.Due)
		case a.Overdue:
			return -1
		case b.Overdue:
			return 1
		}
		return 0
	})
	return lines, nil
}
