package store

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// AddSightings records that the indicators in ss were seen on ticket n in
// mail, at time at.
func (tx *Tx) AddSightings(ctx context.Context, n, mail int64, ss []Sighting, at time.Time) error {
	when := tstr(at)
	for _, s := range ss {
		var id int64
		err := tx.tx.QueryRowContext(ctx,
			`INSERT INTO indicators (type, value, first_seen, last_seen) VALUES (?, ?, ?, ?)
			 ON CONFLICT (type, value) DO UPDATE SET last_seen = excluded.last_seen
			 RETURNING id`, s.Type, s.Value, when, when).Scan(&id)
		if err != nil {
			return fmt.Errorf("record indicator %s %q: %w", s.Type, s.Value, err)
		}
		sources := s.Sources
		if sources == nil {
			sources = []string{}
		}
		pending, from := 0, ""
		if s.Pending {
			pending, from = 1, s.From
		}
		// Seen again in an accepted mail, pending evidence is accepted; seen
		// again in a pending one, accepted evidence stays accepted.
		if _, err := exec(ctx, tx.tx, "record sighting",
			`INSERT INTO sightings (indicator, ticket, layer, first_mail, last_mail, first_seen, last_seen, sources, pending, pending_from)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (indicator, ticket, layer) DO UPDATE SET
			   last_mail = excluded.last_mail, last_seen = excluded.last_seen, count = sightings.count + 1,
			   sources = `+tx.d.jsonUnion("sightings.sources", "excluded.sources")+`,
			   pending_from = CASE WHEN sightings.pending = 1 AND excluded.pending = 1 THEN sightings.pending_from ELSE '' END,
			   pending = CASE WHEN excluded.pending < sightings.pending THEN excluded.pending ELSE sightings.pending END`,
			id, n, s.Layer, mail, mail, when, when, jstr(sources), pending, from); err != nil {
			return err
		}
	}
	return nil
}

// Correlate returns the indicators of ticket n that were also seen on
// other tickets, with those tickets, ordered by when each was first seen
// elsewhere: the triagers' full view. Pending evidence, on either side,
// correlates nothing: a stranger could otherwise tie any two tickets.
func (tx *Tx) Correlate(ctx context.Context, n int64) ([]Correlation, error) {
	all, _, err := correlate(ctx, tx.tx, n)
	return all, err
}

// Correlate is Tx.Correlate outside a transaction.
func (s *Store) Correlate(ctx context.Context, n int64) ([]Correlation, error) {
	all, _, err := correlate(ctx, s.r, n)
	return all, err
}

// PublicCorrelate is what a reporter may learn of Correlate (DESIGN.md
// invariant 8): only indicators that a triager verified on the other
// ticket, when that ticket is TLP:CLEAR or GREEN and was not rejected.
// Anything else would let a reporter probe the league's tickets by
// mailing a domain and reading the acknowledgement.
func (tx *Tx) PublicCorrelate(ctx context.Context, n int64) ([]Correlation, error) {
	_, public, err := correlate(ctx, tx.tx, n)
	return public, err
}

// Correlations is Correlate and PublicCorrelate from one reading: a new
// ticket needs both, and the query is a large part of taking a mail in.
func (tx *Tx) Correlations(ctx context.Context, n int64) (all, public []Correlation, err error) {
	return correlate(ctx, tx.tx, n)
}

func correlate(ctx context.Context, q querier, n int64) (all, public []Correlation, err error) {
	rows, err := q.QueryContext(ctx,
		`SELECT i.type, i.value, ot.number, MIN(o.first_seen),
		   CASE WHEN ot.tlp IN ('clear', 'green') AND ot.state <> 'rejected'
		     AND EXISTS (SELECT 1 FROM verifications v WHERE v.indicator = s.indicator AND v.ticket = ot.number)
		   THEN 1 ELSE 0 END
		 FROM sightings s
		 JOIN indicators i ON i.id = s.indicator
		 JOIN sightings o ON o.indicator = s.indicator AND o.ticket <> s.ticket AND o.pending = 0
		 JOIN tickets ot ON ot.number = o.ticket
		 WHERE s.ticket = ? AND s.pending = 0
		 GROUP BY s.indicator, ot.number, i.type, i.value, ot.tlp, ot.state
		 ORDER BY i.type, i.value, ot.number`, n)
	if err != nil {
		return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, val, first string
		var other, open int64
		if err := rows.Scan(&typ, &val, &other, &first, &open); err != nil {
			return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
		}
		t := ptime(first)
		all = addCorrelation(all, typ, val, other, t)
		if open == 1 {
			public = addCorrelation(public, typ, val, other, t)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	for _, cs := range [][]Correlation{all, public} {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].FirstSeen.Before(cs[j].FirstSeen) })
	}
	return all, public, nil
}

// addCorrelation adds ticket other to cs, whose rows come ordered by
// indicator.
func addCorrelation(cs []Correlation, typ, val string, other int64, first time.Time) []Correlation {
	if len(cs) == 0 || cs[len(cs)-1].Type != typ || cs[len(cs)-1].Value != val {
		cs = append(cs, Correlation{Type: typ, Value: val})
	}
	c := &cs[len(cs)-1]
	c.Tickets = append(c.Tickets, other)
	if c.FirstSeen.IsZero() || first.Before(c.FirstSeen) {
		c.FirstSeen = first
	}
	return cs
}

// PendingEvidence returns the pending indicators of ticket n (pending in
// every layer, as TicketIndicators says) with who sent them: what a
// triager's notice marks as such.
func (tx *Tx) PendingEvidence(ctx context.Context, n int64) (map[IndicatorKey][]string, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT i.type, i.value, s.pending_from
		 FROM sightings s JOIN indicators i ON i.id = s.indicator
		 WHERE s.ticket = ? AND s.pending = 1 AND NOT EXISTS (SELECT 1 FROM sightings a
		   WHERE a.indicator = s.indicator AND a.ticket = s.ticket AND a.pending = 0)
		 ORDER BY i.type, i.value, s.pending_from`, n)
	if err != nil {
		return nil, fmt.Errorf("pending evidence of ticket %d: %w", n, err)
	}
	defer rows.Close()
	out := map[IndicatorKey][]string{}
	for rows.Next() {
		var k IndicatorKey
		var from string
		if err := rows.Scan(&k.Type, &k.Value, &from); err != nil {
			return nil, fmt.Errorf("pending evidence of ticket %d: %w", n, err)
		}
		if !slices.Contains(out[k], from) {
			out[k] = append(out[k], from)
		}
	}
	return out, rows.Err()
}

func ticketIndicators(ctx context.Context, q querier, n int64) ([]TicketIndicator, error) {
	d := q.sqlDialect()
	rows, err := q.QueryContext(ctx,
		`SELECT i.type, i.value,
		   EXISTS (SELECT 1 FROM verifications v WHERE v.indicator = i.id AND v.ticket = ?),
		   `+d.groupConcat("s.layer", false)+`, MIN(s.first_seen), MAX(s.last_seen), CAST(SUM(s.count) AS BIGINT),
		   `+d.jsonDistinct("j.value", `FROM sightings s2, `+d.jsonElements("s2.sources", "j")+`
		    WHERE s2.indicator = i.id AND s2.ticket = ?`)+`,
		   MIN(s.pending),
		   `+d.jsonDistinct("s3.pending_from", `FROM sightings s3
		    WHERE s3.indicator = i.id AND s3.ticket = ? AND s3.pending = 1`)+`
		 FROM sightings s JOIN indicators i ON i.id = s.indicator
		 WHERE s.ticket = ?
		 GROUP BY i.id, i.type, i.value ORDER BY MIN(s.first_seen), i.type, i.value`, n, n, n, n)
	if err != nil {
		return nil, fmt.Errorf("indicators of ticket %d: %w", n, err)
	}
	defer rows.Close()
	var out []TicketIndicator
	for rows.Next() {
		var ti TicketIndicator
		var layers, first, last, sources, from string
		if err := rows.Scan(&ti.Type, &ti.Value, &ti.Verified, &layers, &first, &last, &ti.Count, &sources,
			&ti.Pending, &from); err != nil {
			return nil, fmt.Errorf("indicators of ticket %d: %w", n, err)
		}
		ti.Layers = strings.Split(layers, ",")
		sort.Strings(ti.Layers)
		ti.Sources = jstrings(sources)
		if ti.Pending {
			ti.PendingFrom = jstrings(from)
		}
		ti.FirstSeen, ti.LastSeen = ptime(first), ptime(last)
		out = append(out, ti)
	}
	return out, rows.Err()
}
