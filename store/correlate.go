package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// MaxNamed is how many of the other tickets sharing an indicator a new
// ticket's correlation names (Tx.Correlation): a triager's notice lists
// ten and says how many more. A campaign's domain may be on thousands of
// tickets; reading each one made every new report slower than the last.
const MaxNamed = 10

// Correlate returns the indicators of ticket n that were also seen on
// other tickets, with every one of those tickets, ordered by when each was
// first seen elsewhere: the triagers' full view. Pending evidence, on
// either side, correlates nothing: a stranger could otherwise tie any two
// tickets.
func (tx *Tx) Correlate(ctx context.Context, n int64) ([]Correlation, error) {
	return correlate(ctx, tx.tx, n)
}

// Correlate is Tx.Correlate outside a transaction.
func (s *Store) Correlate(ctx context.Context, n int64) ([]Correlation, error) {
	return correlate(ctx, s.r, n)
}

func correlate(ctx context.Context, q querier, n int64) ([]Correlation, error) {
	// One row per sighting pair, gathered here: SQLite's GROUP BY and
	// ORDER BY (two temporary b-trees) took half of this query's time.
	return gather(ctx, q, n, `SELECT s.indicator, i.type, i.value, o.ticket, o.first_seen
		 FROM sightings s
		 JOIN indicators i ON i.id = s.indicator
		 JOIN sightings o ON o.indicator = s.indicator AND o.pending = 0 AND o.ticket <> s.ticket
		 WHERE s.ticket = ? AND s.pending = 0`)
}

// PublicCorrelate is what a reporter may learn of Correlate (DESIGN.md
// invariant 8): only indicators that a triager verified on the other
// ticket, when that ticket is TLP:CLEAR or GREEN and was not rejected.
// Anything else would let a reporter probe the league's tickets by
// mailing a domain and reading the acknowledgement.
func (tx *Tx) PublicCorrelate(ctx context.Context, n int64) ([]Correlation, error) {
	const verified = `FROM sightings s
		 JOIN verifications v ON v.indicator = s.indicator AND v.ticket <> s.ticket
		 JOIN tickets ot ON ot.number = v.ticket`
	const public = `WHERE s.ticket = ? AND s.pending = 0 AND ot.tlp IN ('clear', 'green') AND ot.state <> 'rejected'`
	// Most tickets share no verified indicator: that is asked first, of
	// the few verifications, before any other ticket is read.
	var one int
	switch err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM verifications
		 WHERE indicator IN (SELECT indicator FROM sightings WHERE ticket = ? AND pending = 0) AND ticket <> ?
		 LIMIT 1`, n, n).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	// The other ticket's sighting is read in a subquery, for the verified
	// pairs only: joined, SQLite's planner read it first, for every
	// sighting of the indicator.
	return gather(ctx, tx.tx, n, `SELECT * FROM (
		   SELECT s.indicator, i.type, i.value, v.ticket,
		     (SELECT MIN(o.first_seen) FROM sightings o
		      WHERE o.indicator = v.indicator AND o.ticket = v.ticket AND o.pending = 0) AS first_seen
		   `+verified+`
		   JOIN indicators i ON i.id = s.indicator
		   `+public+`
		 ) p WHERE first_seen IS NOT NULL`)
}

// gather reads the (indicator, type, value, other ticket, first seen)
// rows of query for ticket n into Correlations naming every ticket.
func gather(ctx context.Context, q querier, n int64, query string) ([]Correlation, error) {
	rows, err := q.QueryContext(ctx, query, n)
	if err != nil {
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	defer rows.Close()
	c := correlations{}
	for rows.Next() {
		var id, other int64
		var k IndicatorKey
		var first string
		if err := rows.Scan(&id, &k.Type, &k.Value, &other, &first); err != nil {
			return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
		}
		c.add(k, other, first)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	return c.sorted(), nil
}

// Correlation is Correlate as a new ticket's mails say it, in work that
// does not grow with the tickets sharing an indicator: each indicator
// names the MaxNamed lowest-numbered other tickets and counts them all,
// and Reports counts the other tickets of all of them. Nil when nothing is
// shared.
func (tx *Tx) Correlation(ctx context.Context, n int64) (*MailCorrelation, error) {
	// Each indicator's other sightings are read from the
	// sightings_correlate index by the database, which keeps a row per
	// indicator: bringing back a row per other sighting cost a
	// microsecond each, and a campaign's indicators have thousands.
	d := tx.tx.sqlDialect()
	const others = `FROM sightings o WHERE o.indicator = s.indicator AND o.pending = 0 AND o.ticket <> ?`
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT s.indicator, i.type, i.value,
		   (SELECT MIN(o.first_seen) `+others+`),
		   (SELECT `+d.groupConcat("t.ticket", false)+` FROM (SELECT DISTINCT o.ticket `+others+` ORDER BY o.ticket LIMIT ?) t)
		 FROM (SELECT DISTINCT indicator FROM sightings WHERE ticket = ? AND pending = 0) s
		 JOIN indicators i ON i.id = s.indicator`, n, n, MaxNamed+1, n)
	if err != nil {
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	var cs []Correlation
	at := map[int64]int{} // where each indicator is in cs
	capped := false
	for rows.Next() {
		var id int64
		var k IndicatorKey
		var first, tickets sql.NullString
		if err := rows.Scan(&id, &k.Type, &k.Value, &first, &tickets); err != nil {
			rows.Close()
			return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
		}
		if !tickets.Valid || tickets.String == "" {
			continue
		}
		x := Correlation{Type: k.Type, Value: k.Value, FirstSeen: ptime(first.String)}
		for _, f := range strings.Split(tickets.String, ",") {
			t, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("correlate ticket %d: ticket %q: %w", n, f, err)
			}
			x.Tickets = append(x.Tickets, t)
		}
		slices.Sort(x.Tickets)
		x.Others = len(x.Tickets)
		if len(x.Tickets) > MaxNamed {
			x.Tickets = x.Tickets[:MaxNamed]
			capped = true
		}
		at[id] = len(cs)
		cs = append(cs, x)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	c := Summary(cs)
	if c == nil {
		return nil, nil
	}
	// The lowest MaxNamed of all the tickets are among the lowest MaxNamed
	// of each indicator's: a ticket with MaxNamed lower ones in all is
	// past them in its own indicators' too.
	if len(c.Tickets) > MaxNamed {
		c.Tickets = c.Tickets[:MaxNamed]
	}
	if capped {
		if err := tx.countCorrelated(ctx, n, c, at); err != nil {
			return nil, err
		}
	}
	sortCorrelations(c.Indicators)
	return c, nil
}

// countCorrelated counts the other tickets of c's indicators, each and in
// all, when some of them name only the first MaxNamed.
func (tx *Tx) countCorrelated(ctx context.Context, n int64, c *MailCorrelation, at map[int64]int) error {
	const mine = `o.indicator IN (SELECT indicator FROM sightings WHERE ticket = ? AND pending = 0)
		 AND o.pending = 0 AND o.ticket <> ?`
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT o.indicator, COUNT(DISTINCT o.ticket) FROM sightings o
		 WHERE `+mine+`
		 GROUP BY o.indicator`, n, n)
	if err != nil {
		return fmt.Errorf("count tickets correlated with ticket %d: %w", n, err)
	}
	for rows.Next() {
		var id int64
		var count int
		if err := rows.Scan(&id, &count); err != nil {
			rows.Close()
			return fmt.Errorf("count tickets correlated with ticket %d: %w", n, err)
		}
		if i, ok := at[id]; ok {
			c.Indicators[i].Others = count
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("count tickets correlated with ticket %d: %w", n, err)
	}
	// COUNT(*) of a DISTINCT subquery, not COUNT(DISTINCT): on a store
	// of 10,000 corpus mails SQLite took half the time for the same count
	// (60 against 120 µs a ticket).
	err = tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT DISTINCT o.ticket FROM sightings o WHERE `+mine+`) t`, n, n).Scan(&c.Reports)
	if err != nil {
		return fmt.Errorf("count tickets correlated with ticket %d: %w", n, err)
	}
	return nil
}

// Summary is what cs, a ticket's correlations, say together: the
// tickets they name, the earliest sighting, and Reports counting the
// tickets named.
func Summary(cs []Correlation) *MailCorrelation {
	if len(cs) == 0 {
		return nil
	}
	c := &MailCorrelation{Indicators: cs}
	for _, x := range cs {
		for _, t := range x.Tickets {
			if !slices.Contains(c.Tickets, t) {
				c.Tickets = append(c.Tickets, t)
			}
		}
		if c.FirstSeen.IsZero() || x.FirstSeen.Before(c.FirstSeen) {
			c.FirstSeen = x.FirstSeen
		}
	}
	slices.Sort(c.Tickets)
	c.Reports = len(c.Tickets)
	return c
}

// correlations gathers the rows of correlate: for each indicator, when
// each other ticket first saw it (in any layer). Times stay text until the
// end: tstr's fixed-width UTC text sorts as the times do, and a widely
// shared indicator brings a row per ticket and layer.
type correlations map[IndicatorKey]map[int64]string

func (c correlations) add(k IndicatorKey, other int64, first string) {
	ts := c[k]
	if ts == nil {
		ts = map[int64]string{}
		c[k] = ts
	}
	if f, ok := ts[other]; !ok || first < f {
		ts[other] = first
	}
}

// sorted returns the correlations, each naming its tickets in order.
func (c correlations) sorted() []Correlation {
	if len(c) == 0 {
		return nil
	}
	out := make([]Correlation, 0, len(c))
	for k, ts := range c {
		x := Correlation{Type: k.Type, Value: k.Value, Tickets: make([]int64, 0, len(ts)), Others: len(ts)}
		first := ""
		for t, f := range ts {
			x.Tickets = append(x.Tickets, t)
			if first == "" || f < first {
				first = f
			}
		}
		slices.Sort(x.Tickets)
		x.FirstSeen = ptime(first)
		out = append(out, x)
	}
	sortCorrelations(out)
	return out
}

// sortCorrelations orders cs by when each was first seen elsewhere, then
// by type and value.
func sortCorrelations(cs []Correlation) {
	sort.Slice(cs, func(i, j int) bool {
		if !cs[i].FirstSeen.Equal(cs[j].FirstSeen) {
			return cs[i].FirstSeen.Before(cs[j].FirstSeen)
		}
		if cs[i].Type != cs[j].Type {
			return cs[i].Type < cs[j].Type
		}
		return cs[i].Value < cs[j].Value
	})
}
