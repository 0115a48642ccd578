package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// What package sla reads and writes: the clocks of tickets (created,
// first response, waits), the reminders and digests already queued, and
// the on-call rota of the contacts file.

// Wait is a pause of a ticket's resolve clock (#wait): since when, until
// when (zero: until the answer), why and by whom. Paused is the time the
// clock stood still in the waits that ended.
type Wait struct {
	Since  time.Time     `json:"since,omitzero"`
	Until  time.Time     `json:"until,omitzero"`
	Reason string        `json:"reason,omitempty"`
	By     string        `json:"by,omitempty"`
	Paused time.Duration `json:"paused,omitempty"`
}

// Waiting reports whether the clock is paused now.
func (w Wait) Waiting() bool { return !w.Since.IsZero() }

// SLATicket is what the response targets are measured on.
type SLATicket struct {
	Number      int64
	State       State
	Severity    string
	Subject     string
	Reporter    string
	Institution string
	Assignee    string
	CreatedAt   time.Time
	ClosedAt    time.Time
	// FirstResponse is the first triager command run on the ticket (a
	// #reply is one); zero when none has been.
	FirstResponse time.Time
	Wait          Wait
	Indicators    int
}

// SLATickets lists the tickets not merged into another, the open ones
// only if open is set, by number.
func (s *Store) SLATickets(ctx context.Context, open bool) ([]SLATicket, error) {
	return slaTickets(ctx, s.r, open, 0)
}

// SLATickets lists the tickets not merged into another, the open ones
// only if open is set, by number.
func (tx *Tx) SLATickets(ctx context.Context, open bool) ([]SLATicket, error) {
	return slaTickets(ctx, tx.tx, open, 0)
}

// SLATicket returns ticket n as SLATickets does.
func (tx *Tx) SLATicket(ctx context.Context, n int64) (SLATicket, error) {
	ts, err := slaTickets(ctx, tx.tx, false, n)
	if err != nil {
		return SLATicket{}, err
	}
	if len(ts) == 0 {
		return SLATicket{}, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	return ts[0], nil
}

func slaTickets(ctx context.Context, q querier, open bool, only int64) ([]SLATicket, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.number, t.state, t.severity, t.subject, t.reporter, COALESCE(c.name, ''),
		  t.assignee, t.created_at, t.closed_at,
		  COALESCE((SELECT MIN(e.at) FROM events e WHERE e.kind = 'command' AND e.ticket = t.number), ''),
		  COALESCE(w.since, ''), COALESCE(w.until, ''), COALESCE(w.reason, ''), COALESCE(w.by, ''), COALESCE(w.paused, 0),
		  (SELECT count(DISTINCT s.indicator) FROM sightings s WHERE s.ticket = t.number)
		FROM tickets t LEFT JOIN contacts c ON c.id = t.institution LEFT JOIN sla_waits w ON w.ticket = t.number
		WHERE t.merged_into IS NULL AND (? = 0 OR t.state NOT IN ('closed', 'rejected')) AND (? = 0 OR t.number = ?)
		ORDER BY t.number`, btoi(open), only, only)
	if err != nil {
		return nil, fmt.Errorf("list ticket clocks: %w", err)
	}
	defer rows.Close()
	var out []SLATicket
	for rows.Next() {
		var t SLATicket
		var created, closed, first, since, until string
		var paused int64
		if err := rows.Scan(&t.Number, &t.State, &t.Severity, &t.Subject, &t.Reporter, &t.Institution, &t.Assignee,
			&created, &closed, &first, &since, &until, &t.Wait.Reason, &t.Wait.By, &paused, &t.Indicators); err != nil {
			return nil, fmt.Errorf("list ticket clocks: %w", err)
		}
		t.CreatedAt, t.ClosedAt, t.FirstResponse = ptime(created), ptime(closed), ptime(first)
		t.Wait.Since, t.Wait.Until, t.Wait.Paused = ptime(since), ptime(until), time.Duration(paused)*time.Millisecond
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list ticket clocks: %w", err)
	}
	return out, nil
}

// Correlated counts the other tickets that share an accepted indicator
// with ticket n.
func (tx *Tx) Correlated(ctx context.Context, n int64) (int, error) {
	var k int
	err := tx.tx.QueryRowContext(ctx, `SELECT count(DISTINCT s2.ticket) FROM sightings s1
		JOIN sightings s2 ON s2.indicator = s1.indicator AND s2.ticket <> s1.ticket AND s2.pending = 0
		WHERE s1.ticket = ? AND s1.pending = 0`, n).Scan(&k)
	if err != nil {
		return 0, fmt.Errorf("correlate ticket %d: %w", n, err)
	}
	return k, nil
}

// StartWait pauses ticket n's resolve clock from since, until the answer
// or until (if not zero). A wait already running is replaced, its start
// kept: the clock stood still all along.
func (tx *Tx) StartWait(ctx context.Context, n int64, since, until time.Time, reason, by string) error {
	_, err := exec(ctx, tx.tx, "start wait",
		`INSERT INTO sla_waits (ticket, since, until, reason, by) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (ticket) DO UPDATE SET since = CASE WHEN sla_waits.since = '' THEN excluded.since ELSE sla_waits.since END,
		   until = excluded.until, reason = excluded.reason, by = excluded.by`,
		n, tstr(since), tstr(until), reason, strings.ToLower(by))
	return err
}

// EndWait restarts ticket n's resolve clock at at, and returns the wait
// that ended; ok is false when the ticket was not waiting.
func (tx *Tx) EndWait(ctx context.Context, n int64, at time.Time) (w Wait, ok bool, err error) {
	var since, until string
	var paused int64
	err = tx.tx.QueryRowContext(ctx, `SELECT since, until, reason, by, paused FROM sla_waits WHERE ticket = ?`, n).
		Scan(&since, &until, &w.Reason, &w.By, &paused)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && since == "") {
		return Wait{}, false, nil
	}
	if err != nil {
		return Wait{}, false, fmt.Errorf("end wait of ticket %d: %w", n, err)
	}
	w.Since, w.Until = ptime(since), ptime(until)
	stood := max(at.Sub(w.Since), 0)
	w.Paused = time.Duration(paused)*time.Millisecond + stood
	if _, err := exec(ctx, tx.tx, "end wait",
		`UPDATE sla_waits SET since = '', until = '', paused = ? WHERE ticket = ?`, w.Paused.Milliseconds(), n); err != nil {
		return Wait{}, false, err
	}
	return w, true, nil
}

// slaStateChanged keeps the clocks of package sla in step with a
// ticket's state: a ticket closed waits for nothing, and a ticket
// reopened counts the time it stood closed as paused, so that its resolve
// clock runs on from where it stopped, and may be reminded of its resolve
// targets again.
func (tx *Tx) slaStateChanged(ctx context.Context, old Ticket, state State, at time.Time) error {
	switch {
	case old.State.Open() && !state.Open():
		_, _, err := tx.EndWait(ctx, old.Number, at)
		return err
	case !old.State.Open() && state.Open() && !old.ClosedAt.IsZero():
		closed := max(at.Sub(old.ClosedAt), 0).Milliseconds()
		if _, err := exec(ctx, tx.tx, "reopen clock",
			`INSERT INTO sla_waits (ticket, paused) VALUES (?, ?)
			 ON CONFLICT (ticket) DO UPDATE SET paused = sla_waits.paused + excluded.paused`, old.Number, closed); err != nil {
			return err
		}
		_, err := exec(ctx, tx.tx, "reopen reminders",
			`DELETE FROM sla_reminders WHERE ticket = ? AND target LIKE 'resolve%'`, old.Number)
		return err
	}
	return nil
}

// RecordReminder records that the reminder of target on ticket n was
// queued as outbox mail id (0 for none); false if it was already.
func (tx *Tx) RecordReminder(ctx context.Context, n int64, target string, at time.Time, id int64) (bool, error) {
	res, err := exec(ctx, tx.tx, "record reminder",
		`INSERT INTO sla_reminders (ticket, target, at, outbox) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		n, target, tstr(at), nullInt(id))
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k == 1, nil
}

// Reminded reports whether the reminder of target on ticket n was queued.
func (tx *Tx) Reminded(ctx context.Context, n int64, target string) (bool, error) {
	var one int
	err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM sla_reminders WHERE ticket = ? AND target = ?`, n, target).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read reminders of ticket %d: %w", n, err)
	}
	return true, nil
}

// LastDigest returns when the last daily digest to triager was due, zero
// if none went yet.
func (tx *Tx) LastDigest(ctx context.Context, triager string) (time.Time, error) {
	var due string
	err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(due), '') FROM sla_digests WHERE triager = ?`,
		strings.ToLower(triager)).Scan(&due)
	if err != nil {
		return time.Time{}, fmt.Errorf("read digests of %s: %w", triager, err)
	}
	return ptime(due), nil
}

// RecordDigest records that the daily digest due at due went to triager
// as outbox mail id; false if it was already.
func (tx *Tx) RecordDigest(ctx context.Context, triager string, due time.Time, id int64) (bool, error) {
	res, err := exec(ctx, tx.tx, "record digest",
		`INSERT INTO sla_digests (triager, due, outbox) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		strings.ToLower(triager), tstr(due), nullInt(id))
	if err != nil {
		return false, err
	}
	k, _ := res.RowsAffected()
	return k == 1, nil
}

// SetShift sets (or, if shift is empty, removes) the on-call shift of
// triager email.
func (tx *Tx) SetShift(ctx context.Context, email, shift string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if shift == "" {
		_, err := exec(ctx, tx.tx, "remove shift", `DELETE FROM triager_shifts WHERE email = ?`, email)
		return err
	}
	_, err := exec(ctx, tx.tx, "set shift",
		`INSERT INTO triager_shifts (email, shift) VALUES (?, ?) ON CONFLICT (email) DO UPDATE SET shift = excluded.shift`,
		email, shift)
	return err
}

// Shifts returns the on-call shifts of the contacts file, by address.
func (tx *Tx) Shifts(ctx context.Context) (map[string]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT email, shift FROM triager_shifts`)
	if err != nil {
		return nil, fmt.Errorf("read shifts: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var e, s string
		if err := rows.Scan(&e, &s); err != nil {
			return nil, fmt.Errorf("read shifts: %w", err)
		}
		out[e] = s
	}
	return out, rows.Err()
}

// Campaign is an indicator that reports of several institutions share.
type Campaign struct {
	Type    string
	Value   string
	Sources int // institutions, or reporter domains where none is known
	Tickets []int64
}

// Campaigns returns the accepted indicators seen since since that reports
// of at least two institutions (or reporter domains) share, the most
// widely shared first, at most limit.
func (tx *Tx) Campaigns(ctx context.Context, since time.Time, limit int) ([]Campaign, error) {
	n := `count(DISTINCT COALESCE('c' || t.institution, 'd' || lower(substr(t.reporter, ` + tx.d.strpos("t.reporter", "'@'") + ` + 1))))`
	rows, err := tx.tx.QueryContext(ctx, `SELECT i.type, i.value, `+n+`, `+tx.d.groupConcat("t.number", true)+`
		FROM sightings s JOIN indicators i ON i.id = s.indicator JOIN tickets t ON t.number = s.ticket
		WHERE s.pending = 0 AND i.id IN (SELECT indicator FROM sightings WHERE last_seen >= ? AND pending = 0)
		GROUP BY i.id, i.type, i.value HAVING `+n+` >= 2 ORDER BY 3 DESC, i.type, i.value LIMIT ?`, tstr(since), limit)
	if err != nil {
		return nil, fmt.Errorf("find campaigns: %w", err)
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		var c Campaign
		var nums string
		if err := rows.Scan(&c.Type, &c.Value, &c.Sources, &nums); err != nil {
			return nil, fmt.Errorf("find campaigns: %w", err)
		}
		for _, s := range strings.Split(nums, ",") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				c.Tickets = append(c.Tickets, n)
			}
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PendingTakedown is a takedown asked and not yet seen done: the request
// went to an abuse desk (requested, answered) or the site came back (up),
// or the #takedown is still being looked up (State "looking up").
type PendingTakedown struct {
	Ticket  int64
	Type    string
	Value   string
	Contact string
	State   string
	Since   time.Time
}

// PendingTakedowns lists the takedowns not done, the oldest first, at
// most limit, and how many there are in all.
func (tx *Tx) PendingTakedowns(ctx context.Context, limit int) ([]PendingTakedown, int, error) {
	const pending = `SELECT ticket, type, value, contact, state, requested_at FROM takedown_requests
		  WHERE state IN ('requested', 'answered', 'up')
		UNION ALL
		SELECT ticket, '', '', '', 'looking up', created_at FROM takedown_jobs WHERE state = 'pending'`
	var total int
	if err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+pending+`) AS p`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count pending takedowns: %w", err)
	}
	rows, err := tx.tx.QueryContext(ctx, pending+` ORDER BY 6, 1 LIMIT ?`, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("list pending takedowns: %w", err)
	}
	defer rows.Close()
	var out []PendingTakedown
	for rows.Next() {
		var p PendingTakedown
		var since string
		if err := rows.Scan(&p.Ticket, &p.Type, &p.Value, &p.Contact, &p.State, &since); err != nil {
			return nil, 0, fmt.Errorf("list pending takedowns: %w", err)
		}
		p.Since = ptime(since)
		out = append(out, p)
	}
	return out, total, rows.Err()
}
