package store

import (
	"context"
	"fmt"
	"time"
)

// FeedTicket is a ticket as the feeds see it: no reporter, no subject, no
// mail, only what may be published about it and its indicators.
type FeedTicket struct {
	Number    int64
	State     State
	Severity  string
	TLP       string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Country and Sector are the reporting institution's (contacts), ""
	// when the reporter is no institution: the scope of TAXII keys.
	Country, Sector string
	// Indicators are those seen on the ticket, ordered by type and value.
	Indicators []FeedIndicator
}

// FeedIndicator is one indicator of a ticket, with when it was seen on
// that ticket.
type FeedIndicator struct {
	Type  string
	Value string
	// Verified says that a triager vouched for it on this ticket.
	Verified  bool
	FirstSeen time.Time
	LastSeen  time.Time
}

// FeedTickets returns every ticket that has indicators, with them, ordered
// by ticket number. It returns all tickets, whatever their TLP or state,
// and every accepted indicator, verified on the ticket or not: what may
// leave is decided in one place (export.Filter), which needs to see every
// ticket an indicator was seen on to know how it must be handled. Pending
// evidence (DESIGN.md invariant 7) is not the league's and never leaves.
func (s *Store) FeedTickets(ctx context.Context) ([]FeedTicket, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT t.number, t.state, t.severity, t.tlp, t.created_at, t.updated_at,
		   COALESCE(c.country, ''), COALESCE(c.sector, ''),
		   i.type, i.value,
		   EXISTS (SELECT 1 FROM verifications v WHERE v.indicator = i.id AND v.ticket = t.number),
		   MIN(s.first_seen), MAX(s.last_seen)
		 FROM tickets t
		 LEFT JOIN contacts c ON c.id = t.institution
		 JOIN sightings s ON s.ticket = t.number AND s.pending = 0
		 JOIN indicators i ON i.id = s.indicator
		 GROUP BY t.number, i.id, c.id
		 ORDER BY t.number, i.type, i.value`)
	if err != nil {
		return nil, fmt.Errorf("feed tickets: %w", err)
	}
	defer rows.Close()
	var out []FeedTicket
	for rows.Next() {
		var t FeedTicket
		var in FeedIndicator
		var created, updated, first, last string
		if err := rows.Scan(&t.Number, &t.State, &t.Severity, &t.TLP, &created, &updated, &t.Country, &t.Sector,
			&in.Type, &in.Value, &in.Verified, &first, &last); err != nil {
			return nil, fmt.Errorf("feed tickets: %w", err)
		}
		in.FirstSeen, in.LastSeen = ptime(first), ptime(last)
		if len(out) == 0 || out[len(out)-1].Number != t.Number {
			t.CreatedAt, t.UpdatedAt = ptime(created), ptime(updated)
			out = append(out, t)
		}
		cur := &out[len(out)-1]
		cur.Indicators = append(cur.Indicators, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("feed tickets: %w", err)
	}
	return out, nil
}
