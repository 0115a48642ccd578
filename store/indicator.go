package store

import (
	"context"
	"fmt"
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
		if _, err := exec(ctx, tx.tx, "record sighting",
			`INSERT INTO sightings (indicator, ticket, layer, first_mail, last_mail, first_seen, last_seen, sources)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			 ON CONFLICT (indicator, ticket, layer) DO UPDATE SET
			   last_mail = excluded.last_mail, last_seen = excluded.last_seen, count = count + 1,
			   sources = (SELECT json_group_array(value) FROM (
			     SELECT value FROM json_each(sightings.sources) UNION SELECT value FROM json_each(excluded.sources)))`,
			id, n, s.Layer, mail, mail, when, when, jstr(sources)); err != nil {
			return err
		}
	}
	return nil
}

// Correlate returns the indicators of ticket n that were also seen on
// other tickets, with those tickets, ordered by when each was first seen
// elsewhere.
func (tx *Tx) Correlate(ctx context.Context, n int64) ([]Correlation, error) {
	return correlate(ctx, tx.tx, n)
}

// Correlate is Tx.Correlate outside a transaction.
func (s *Store) Correlate(ctx context.Context, n int64) ([]Correlation, error) {
	return correlate(ctx, s.r, n)
}

func correlate(ctx context.Context, q querier, n int64) ([]Correlation, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT i.type, i.value, o.ticket, MIN(o.first_seen)
		 FROM sightings s
		 JOIN indicators i ON i.id = s.indicator
		 JOIN sightings o ON o.indicator = s.indicator AND o.ticket <> s.ticket
		 WHERE s.ticket = ?
		 GROUP BY s.indicator, o.ticket
		 ORDER BY i.type, i.value, o.ticket`, n)
	if err != nil {
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	defer rows.Close()
	var cs []Correlation
	for rows.Next() {
		var typ, val, first string
		var other int64
		if err := rows.Scan(&typ, &val, &other, &first); err != nil {
			return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
		}
		if len(cs) == 0 || cs[len(cs)-1].Type != typ || cs[len(cs)-1].Value != val {
			cs = append(cs, Correlation{Type: typ, Value: val})
		}
		c := &cs[len(cs)-1]
		c.Tickets = append(c.Tickets, other)
		if t := ptime(first); c.FirstSeen.IsZero() || t.Before(c.FirstSeen) {
			c.FirstSeen = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].FirstSeen.Before(cs[j].FirstSeen) })
	return cs, nil
}

func ticketIndicators(ctx context.Context, q querier, n int64) ([]TicketIndicator, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT i.type, i.value, i.verified, group_concat(s.layer), MIN(s.first_seen), MAX(s.last_seen), SUM(s.count),
		   (SELECT json_group_array(DISTINCT j.value) FROM sightings s2, json_each(s2.sources) j
		    WHERE s2.indicator = i.id AND s2.ticket = ?)
		 FROM sightings s JOIN indicators i ON i.id = s.indicator
		 WHERE s.ticket = ?
		 GROUP BY i.id ORDER BY MIN(s.first_seen), i.type, i.value`, n, n)
	if err != nil {
		return nil, fmt.Errorf("indicators of ticket %d: %w", n, err)
	}
	defer rows.Close()
	var out []TicketIndicator
	for rows.Next() {
		var ti TicketIndicator
		var layers, first, last, sources string
		if err := rows.Scan(&ti.Type, &ti.Value, &ti.Verified, &layers, &first, &last, &ti.Count, &sources); err != nil {
			return nil, fmt.Errorf("indicators of ticket %d: %w", n, err)
		}
		ti.Layers = strings.Split(layers, ",")
		sort.Strings(ti.Layers)
		ti.Sources = jstrings(sources)
		ti.FirstSeen, ti.LastSeen = ptime(first), ptime(last)
		out = append(out, ti)
	}
	return out, rows.Err()
}
