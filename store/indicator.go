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
