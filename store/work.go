package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Work is what triagers' commands set on a ticket besides its state,
// severity and TLP: who works it, and the ticket it was merged into.
type Work struct {
	Assignee   string `json:"assignee,omitempty"`
	MergedInto int64  `json:"merged_into,omitempty"`
}

// Work returns the assignee and merge target of ticket n.
func (tx *Tx) Work(ctx context.Context, n int64) (Work, error) { return work(ctx, tx.tx, n) }

// Work returns the assignee and merge target of ticket n.
func (s *Store) Work(ctx context.Context, n int64) (Work, error) { return work(ctx, s.r, n) }

func work(ctx context.Context, q querier, n int64) (Work, error) {
	var w Work
	err := q.QueryRowContext(ctx, `SELECT assignee, COALESCE(merged_into, 0) FROM tickets WHERE number = ?`, n).
		Scan(&w.Assignee, &w.MergedInto)
	if errors.Is(err, sql.ErrNoRows) {
		return Work{}, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return Work{}, fmt.Errorf("ticket %d: %w", n, err)
	}
	return w, nil
}

// SetSeverity sets the severity of ticket n.
func (tx *Tx) SetSeverity(ctx context.Context, n int64, severity string, at time.Time) error {
	return tx.setTicket(ctx, n, "set severity", `severity = ?`, severity, at)
}

// SetTLP sets the TLP of ticket n.
func (tx *Tx) SetTLP(ctx context.Context, n int64, tlp string, at time.Time) error {
	return tx.setTicket(ctx, n, "set tlp", `tlp = ?`, tlp, at)
}

// Assign makes email the assignee of ticket n.
func (tx *Tx) Assign(ctx context.Context, n int64, email string, at time.Time) error {
	return tx.setTicket(ctx, n, "assign ticket", `assignee = ?`, strings.ToLower(email), at)
}

func (tx *Tx) setTicket(ctx context.Context, n int64, what, set string, v any, at time.Time) error {
	res, err := exec(ctx, tx.tx, what, `UPDATE tickets SET `+set+`, updated_at = ? WHERE number = ?`, v, tstr(at), n)
	if err != nil {
		return err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return fmt.Errorf("%s: ticket %d: %w", what, n, ErrNotFound)
	}
	return nil
}

// TicketIndicators returns the indicators seen on ticket n.
func (tx *Tx) TicketIndicators(ctx context.Context, n int64) ([]TicketIndicator, error) {
	return ticketIndicators(ctx, tx.tx, n)
}

// IndicatorKey names one indicator.
type IndicatorKey struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// VerifyIndicators records that triager by vouched, on ticket n, for its
// accepted indicators, only those in keys if keys is not empty, and
// returns those it changed. A verification belongs to the ticket: the
// feeds publish an indicator under the least strict TLP among the tickets
// that verified it (see FeedTickets). Pending evidence is never verified
// here: AcceptSightings first.
func (tx *Tx) VerifyIndicators(ctx context.Context, n int64, keys []IndicatorKey, by string, at time.Time) ([]IndicatorKey, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT i.id, i.type, i.value FROM sightings s JOIN indicators i ON i.id = s.indicator
		 WHERE s.ticket = ?
		   AND NOT EXISTS (SELECT 1 FROM verifications v WHERE v.indicator = i.id AND v.ticket = s.ticket)
		 GROUP BY i.id HAVING MIN(s.pending) = 0 ORDER BY i.type, i.value`, n)
	if err != nil {
		return nil, fmt.Errorf("verify indicators of ticket %d: %w", n, err)
	}
	ids, changed, err := scanKeys(rows, keys)
	if err != nil {
		return nil, fmt.Errorf("verify indicators of ticket %d: %w", n, err)
	}
	for _, id := range ids {
		if _, err := exec(ctx, tx.tx, "verify indicator",
			`INSERT INTO verifications (indicator, ticket, by, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id, n, by, tstr(at)); err != nil {
			return nil, err
		}
		if err := tx.syncVerified(ctx, id); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// UnverifyIndicators withdraws ticket n's verification of the indicators
// in keys and returns those it changed, with the other tickets on which
// each is still verified (the feeds keep those).
func (tx *Tx) UnverifyIndicators(ctx context.Context, n int64, keys []IndicatorKey) ([]IndicatorKey, map[IndicatorKey][]int64, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT i.id, i.type, i.value FROM verifications v JOIN indicators i ON i.id = v.indicator
		 WHERE v.ticket = ? ORDER BY i.type, i.value`, n)
	if err != nil {
		return nil, nil, fmt.Errorf("unverify indicators of ticket %d: %w", n, err)
	}
	ids, changed, err := scanKeys(rows, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("unverify indicators of ticket %d: %w", n, err)
	}
	elsewhere := map[IndicatorKey][]int64{}
	for i, id := range ids {
		if _, err := exec(ctx, tx.tx, "unverify indicator",
			`DELETE FROM verifications WHERE indicator = ? AND ticket = ?`, id, n); err != nil {
			return nil, nil, err
		}
		if err := tx.syncVerified(ctx, id); err != nil {
			return nil, nil, err
		}
		others, err := int64s(ctx, tx.tx, `SELECT ticket FROM verifications WHERE indicator = ? ORDER BY ticket`, id)
		if err != nil {
			return nil, nil, fmt.Errorf("unverify indicators of ticket %d: %w", n, err)
		}
		if len(others) > 0 {
			elsewhere[changed[i]] = others
		}
	}
	return changed, elsewhere, nil
}

// AcceptSightings makes ticket n's pending evidence (only that of keys,
// if not empty) accepted, and returns the indicators it accepted.
func (tx *Tx) AcceptSightings(ctx context.Context, n int64, keys []IndicatorKey) ([]IndicatorKey, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT DISTINCT i.id, i.type, i.value FROM sightings s JOIN indicators i ON i.id = s.indicator
		 WHERE s.ticket = ? AND s.pending = 1 ORDER BY i.type, i.value`, n)
	if err != nil {
		return nil, fmt.Errorf("accept evidence of ticket %d: %w", n, err)
	}
	ids, changed, err := scanKeys(rows, keys)
	if err != nil {
		return nil, fmt.Errorf("accept evidence of ticket %d: %w", n, err)
	}
	for _, id := range ids {
		if _, err := exec(ctx, tx.tx, "accept evidence",
			`UPDATE sightings SET pending = 0, pending_from = '' WHERE indicator = ? AND ticket = ?`, id, n); err != nil {
			return nil, err
		}
	}
	return changed, nil
}

// syncVerified keeps indicators.verified, "verified on some ticket", in
// step with the verifications.
func (tx *Tx) syncVerified(ctx context.Context, id int64) error {
	_, err := exec(ctx, tx.tx, "verify indicator",
		`UPDATE indicators SET verified = CASE WHEN EXISTS (SELECT 1 FROM verifications WHERE indicator = ?) THEN 1 ELSE 0 END WHERE id = ?`, id, id)
	return err
}

// scanKeys reads rows of (id, type, value), keeping those in keys if keys
// is not empty, and closes rows.
func scanKeys(rows *sql.Rows, keys []IndicatorKey) ([]int64, []IndicatorKey, error) {
	defer rows.Close()
	var ids []int64
	var out []IndicatorKey
	for rows.Next() {
		var id int64
		var k IndicatorKey
		if err := rows.Scan(&id, &k.Type, &k.Value); err != nil {
			return nil, nil, err
		}
		if len(keys) > 0 && !containsKey(keys, k) {
			continue
		}
		ids = append(ids, id)
		out = append(out, k)
	}
	return ids, out, rows.Err()
}

func int64s(ctx context.Context, q querier, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func containsKey(keys []IndicatorKey, k IndicatorKey) bool {
	for _, x := range keys {
		if x.Value == k.Value && (x.Type == "" || x.Type == k.Type) {
			return true
		}
	}
	return false
}

// Merged says what a merge moved.
type Merged struct {
	Mails        []int64 `json:"mails"`
	Sightings    int     `json:"sightings"`
	Participants int     `json:"participants"`
}

// Merge folds ticket from into ticket into: from records into as its
// merge target, its mails and sightings move to into, and its participants
// become participants of into as well. The events of both stay where they
// are (they are append-only): each ticket keeps its history. The caller
// sets from's state and records the events.
func (tx *Tx) Merge(ctx context.Context, from, into int64, at time.Time) (Merged, error) {
	var m Merged
	if from == into {
		return m, fmt.Errorf("merge ticket %d into itself", from)
	}
	if _, err := exec(ctx, tx.tx, "merge ticket",
		`UPDATE tickets SET merged_into = ?, updated_at = ? WHERE number = ?`, into, tstr(at), from); err != nil {
		return m, err
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT mail FROM ticket_mails WHERE ticket = ? ORDER BY mail`, from)
	if err != nil {
		return m, fmt.Errorf("merge ticket %d: %w", from, err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return m, fmt.Errorf("merge ticket %d: %w", from, err)
		}
		m.Mails = append(m.Mails, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return m, fmt.Errorf("merge ticket %d: %w", from, err)
	}
	if _, err := exec(ctx, tx.tx, "move mails", `UPDATE ticket_mails SET ticket = ? WHERE ticket = ?`, into, from); err != nil {
		return m, err
	}
	// A sighting of the same indicator in the same layer on both tickets
	// becomes one, spanning both.
	res, err := exec(ctx, tx.tx, "move sightings",
		`INSERT INTO sightings (indicator, ticket, layer, first_mail, last_mail, first_seen, last_seen, count, sources, pending, pending_from)
		 SELECT indicator, ?, layer, first_mail, last_mail, first_seen, last_seen, count, sources, pending, pending_from
		 FROM sightings WHERE ticket = ? ORDER BY indicator, layer
		 ON CONFLICT (indicator, ticket, layer) DO UPDATE SET
		   pending_from = CASE WHEN sightings.pending = 1 AND excluded.pending = 1 THEN sightings.pending_from ELSE '' END,
		   pending = CASE WHEN excluded.pending < sightings.pending THEN excluded.pending ELSE sightings.pending END,
		   first_mail = CASE WHEN excluded.first_seen < sightings.first_seen THEN excluded.first_mail ELSE sightings.first_mail END,
		   first_seen = CASE WHEN excluded.first_seen < sightings.first_seen THEN excluded.first_seen ELSE sightings.first_seen END,
		   last_mail = CASE WHEN excluded.last_seen > sightings.last_seen THEN excluded.last_mail ELSE sightings.last_mail END,
		   last_seen = CASE WHEN excluded.last_seen > sightings.last_seen THEN excluded.last_seen ELSE sightings.last_seen END,
		   count = sightings.count + excluded.count,
		   sources = `+tx.d.jsonUnion("sightings.sources", "excluded.sources"),
		into, from)
	if err != nil {
		return m, err
	}
	k, _ := res.RowsAffected()
	m.Sightings = int(k)
	if _, err := exec(ctx, tx.tx, "move sightings", `DELETE FROM sightings WHERE ticket = ?`, from); err != nil {
		return m, err
	}
	// What a triager verified on the merged ticket stays verified where its
	// evidence went.
	if _, err := exec(ctx, tx.tx, "move verifications",
		`INSERT INTO verifications (indicator, ticket, by, at)
		 SELECT indicator, ?, by, at FROM verifications WHERE ticket = ? ORDER BY indicator ON CONFLICT DO NOTHING`, into, from); err != nil {
		return m, err
	}
	if _, err := exec(ctx, tx.tx, "move verifications", `DELETE FROM verifications WHERE ticket = ?`, from); err != nil {
		return m, err
	}
	res, err = exec(ctx, tx.tx, "copy participants",
		`INSERT INTO participants (ticket, email, role, added_at)
		 SELECT ?, email, role, ? FROM participants WHERE ticket = ? ORDER BY email ON CONFLICT DO NOTHING`,
		into, tstr(at), from)
	if err != nil {
		return m, err
	}
	k, _ = res.RowsAffected()
	m.Participants = int(k)
	return m, nil
}

// ParticipantRole returns the role of email on ticket n, "" if it is not
// a participant.
func (tx *Tx) ParticipantRole(ctx context.Context, n int64, email string) (string, error) {
	var role string
	err := tx.tx.QueryRowContext(ctx, `SELECT role FROM participants WHERE ticket = ? AND email = ?`,
		n, strings.ToLower(email)).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("participant role: %w", err)
	}
	return role, nil
}

// MessageIDOf returns the Message-ID of a stored mail, "" if it has none.
func (tx *Tx) MessageIDOf(ctx context.Context, mail int64) (string, error) {
	var id string
	err := tx.tx.QueryRowContext(ctx, `SELECT message_id FROM mails WHERE id = ?`, mail).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("message-id of mail %d: %w", mail, err)
	}
	return id, nil
}
