package store

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"
	"strings"
	"time"
)

// AddSightings records that the indicators in ss were seen on ticket n in
// mail, at time at. A mail's indicators go in a few statements, not two
// each: a statement costs more than its rows when taking mail in (and a
// round trip on PostgreSQL).
func (tx *Tx) AddSightings(ctx context.Context, n, mail int64, ss []Sighting, at time.Time) error {
	when := tstr(at)
	ids, err := tx.indicatorIDs(ctx, ss, when)
	if err != nil {
		return err
	}
	// PostgreSQL refuses an upsert that meets one key twice: a sighting
	// repeated in ss goes in a later round, as a second statement would.
	type key struct {
		id    int64
		layer string
	}
	for len(ss) > 0 {
		var round, later []Sighting
		seen := map[key]bool{}
		for _, s := range ss {
			k := key{ids[IndicatorKey{Type: s.Type, Value: s.Value}], s.Layer}
			if seen[k] {
				later = append(later, s)
				continue
			}
			seen[k] = true
			round = append(round, s)
		}
		for chunk := range insertChunks(round) {
			args := make([]any, 0, 10*len(chunk))
			for _, s := range chunk {
				sources := s.Sources
				if sources == nil {
					sources = []string{}
				}
				pending, from := 0, ""
				if s.Pending {
					pending, from = 1, s.From
				}
				args = append(args, ids[IndicatorKey{Type: s.Type, Value: s.Value}], n, s.Layer, mail, mail, when, when, jstr(sources), pending, from)
			}
			// Seen again in an accepted mail, pending evidence is accepted;
			// seen again in a pending one, accepted evidence stays accepted.
			if _, err := exec(ctx, tx.tx, "record sightings",
				`INSERT INTO sightings (indicator, ticket, layer, first_mail, last_mail, first_seen, last_seen, sources, pending, pending_from)
				 VALUES `+valueRows(len(chunk), 10)+`
				 ON CONFLICT (indicator, ticket, layer) DO UPDATE SET
				   last_mail = excluded.last_mail, last_seen = excluded.last_seen, count = sightings.count + 1,
				   sources = `+tx.d.jsonUnion("sightings.sources", "excluded.sources")+`,
				   pending_from = CASE WHEN sightings.pending = 1 AND excluded.pending = 1 THEN sightings.pending_from ELSE '' END,
				   pending = CASE WHEN excluded.pending < sightings.pending THEN excluded.pending ELSE sightings.pending END`,
				args...); err != nil {
				return err
			}
		}
		ss = later
	}
	return nil
}

// insertChunks cuts rows into the chunks of multi-row INSERTs (see
// insertRows).
func insertChunks[T any](rows []T) iter.Seq[[]T] {
	return func(yield func([]T) bool) {
		for len(rows) > 0 {
			n := insertRows(len(rows))
			if !yield(rows[:n]) {
				return
			}
			rows = rows[n:]
		}
	}
}

// insertRows is how many of n rows the next multi-row INSERT takes: the
// largest power of two up to n, at most 128. Statements are prepared
// once and kept by text, so their number of rows is one of 8, not one of
// n; and 128 rows keep the parameters well under SQLite's limit (32,766)
// and PostgreSQL's (65,535).
func insertRows(n int) int {
	r := 1
	for r*2 <= n && r < 128 {
		r *= 2
	}
	return r
}

// indicatorIDs records the indicators of ss as seen at when and returns
// their ids.
func (tx *Tx) indicatorIDs(ctx context.Context, ss []Sighting, when string) (map[IndicatorKey]int64, error) {
	ids := make(map[IndicatorKey]int64, len(ss))
	var keys []IndicatorKey
	for _, s := range ss {
		k := IndicatorKey{Type: s.Type, Value: s.Value}
		if _, ok := ids[k]; !ok {
			ids[k] = 0
			keys = append(keys, k)
		}
	}
	for chunk := range insertChunks(keys) {
		args := make([]any, 0, 4*len(chunk))
		for _, k := range chunk {
			args = append(args, k.Type, k.Value, when, when)
		}
		rows, err := tx.tx.QueryContext(ctx,
			`INSERT INTO indicators (type, value, first_seen, last_seen) VALUES `+valueRows(len(chunk), 4)+`
			 ON CONFLICT (type, value) DO UPDATE SET last_seen = excluded.last_seen
			 RETURNING id, type, value`, args...)
		if err != nil {
			return nil, fmt.Errorf("record %d indicators: %w", len(chunk), err)
		}
		for rows.Next() {
			var id int64
			var k IndicatorKey
			if err := rows.Scan(&id, &k.Type, &k.Value); err != nil {
				rows.Close()
				return nil, fmt.Errorf("record %d indicators: %w", len(chunk), err)
			}
			ids[k] = id
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("record %d indicators: %w", len(chunk), err)
		}
		for _, k := range chunk {
			if ids[k] == 0 {
				return nil, fmt.Errorf("record indicator %s %q: no id returned", k.Type, k.Value)
			}
		}
	}
	return ids, nil
}

// valueRows is the VALUES list of a multi-row INSERT: rows groups of cols
// placeholders.
func valueRows(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
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
	// What a reporter may learn of: other tickets' verified indicators,
	// few, read first so that the scan of every sharing ticket below is
	// answered from the sightings_correlate index alone.
	type pair struct{ indicator, ticket int64 }
	open := map[pair]bool{}
	rows, err := q.QueryContext(ctx,
		`SELECT v.indicator, v.ticket
		 FROM sightings s
		 JOIN verifications v ON v.indicator = s.indicator AND v.ticket <> s.ticket
		 JOIN tickets ot ON ot.number = v.ticket
		 WHERE s.ticket = ? AND s.pending = 0 AND ot.tlp IN ('clear', 'green') AND ot.state <> 'rejected'`, n)
	if err != nil {
		return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.indicator, &p.ticket); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
		}
		open[p] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	// One row per sighting pair, gathered here: SQLite's GROUP BY and
	// ORDER BY (two temporary b-trees) took half of this query's time.
	rows, err = q.QueryContext(ctx,
		`SELECT s.indicator, i.type, i.value, o.ticket, o.first_seen
		 FROM sightings s
		 JOIN indicators i ON i.id = s.indicator
		 JOIN sightings o ON o.indicator = s.indicator AND o.pending = 0 AND o.ticket <> s.ticket
		 WHERE s.ticket = ? AND s.pending = 0`, n)
	if err != nil {
		return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	defer rows.Close()
	a, p := correlations{}, correlations{}
	for rows.Next() {
		var id, other int64
		var k IndicatorKey
		var first string
		if err := rows.Scan(&id, &k.Type, &k.Value, &other, &first); err != nil {
			return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
		}
		a.add(k, other, first)
		if open[pair{id, other}] {
			p.add(k, other, first)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	return a.sorted(), p.sorted(), nil
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

// sorted returns the correlations ordered by when each was first seen
// elsewhere, then by type and value; each one's tickets in order.
func (c correlations) sorted() []Correlation {
	if len(c) == 0 {
		return nil
	}
	out := make([]Correlation, 0, len(c))
	for k, ts := range c {
		x := Correlation{Type: k.Type, Value: k.Value, Tickets: make([]int64, 0, len(ts))}
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
	sort.Slice(out, func(i, j int) bool {
		if !out[i].FirstSeen.Equal(out[j].FirstSeen) {
			return out[i].FirstSeen.Before(out[j].FirstSeen)
		}
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Value < out[j].Value
	})
	return out
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
