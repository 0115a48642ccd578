package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The outbox kinds of takedowns (issue 14).
const (
	// KindTakedown is a takedown request to an abuse desk, XARF attached.
	KindTakedown = "takedown"
	// KindTakedownNews tells a reporter that what they reported is down.
	KindTakedownNews = "takedown-news"
)

// TakedownJob is a #takedown command waiting for the takedown timer: the
// look-ups it needs are network I/O, never done inside a transaction.
type TakedownJob struct {
	ID          int64          `json:"id"`
	Ticket      int64          `json:"ticket"`
	RequestedBy string         `json:"requested_by"`
	Mail        int64          `json:"mail,omitempty"`
	Values      []IndicatorKey `json:"values"`
	Force       bool           `json:"force,omitempty"`
	State       string         `json:"state"` // pending, done
	Attempts    int            `json:"attempts"`
	NextAt      time.Time      `json:"next_attempt_at,omitzero"`
	LastError   string         `json:"last_error,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
}

// TakedownRequest is one indicator asked of one abuse contact.
type TakedownRequest struct {
	ID          int64  `json:"id"`
	Ticket      int64  `json:"ticket"`
	Job         int64  `json:"job,omitempty"`
	Type        string `json:"type"`
	Value       string `json:"value"`
	Contact     string `json:"contact"`
	ContactName string `json:"contact_name,omitempty"`
	// Source says how the contact was found: registrar, hosting, contact.
	Source      string    `json:"source"`
	Outbox      int64     `json:"outbox,omitempty"`
	State       string    `json:"state"` // requested, answered, down, up, expired
	RequestedAt time.Time `json:"requested_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Watch is one URL checked until it is gone.
type Watch struct {
	Ticket    int64         `json:"ticket"`
	URL       string        `json:"url"`
	State     string        `json:"state"` // up, down, expired
	StartedAt time.Time     `json:"started_at"`
	DownAt    time.Time     `json:"down_at,omitzero"`
	Interval  time.Duration `json:"interval"`
	NextAt    time.Time     `json:"next_check_at,omitzero"`
	Redirects int           `json:"redirects"`
	Checks    int           `json:"checks"`
}

// Check is the result of one liveness check of a URL.
type Check struct {
	ID       int64     `json:"id"`
	Ticket   int64     `json:"ticket"`
	URL      string    `json:"url"`
	At       time.Time `json:"at"`
	Status   int       `json:"status,omitempty"`
	FinalURL string    `json:"final_url,omitempty"`
	Verdict  string    `json:"verdict"` // up, down, moved, unknown
	Error    string    `json:"error,omitempty"`
}

// VerifiedIndicators returns the indicators of ticket n that a triager
// verified: the only ones a takedown may name (DESIGN.md invariant 7).
func (tx *Tx) VerifiedIndicators(ctx context.Context, n int64) ([]TicketIndicator, error) {
	all, err := ticketIndicators(ctx, tx.tx, n)
	if err != nil {
		return nil, err
	}
	var out []TicketIndicator
	for _, x := range all {
		if x.Verified {
			out = append(out, x)
		}
	}
	return out, nil
}

// Participants returns the participants of ticket n.
func (tx *Tx) Participants(ctx context.Context, n int64) ([]Participant, error) {
	return participants(ctx, tx.tx, n)
}

// AddTakedownJob records a #takedown command for the takedown timer.
func (tx *Tx) AddTakedownJob(ctx context.Context, j *TakedownJob) (int64, error) {
	vals := j.Values
	if vals == nil {
		vals = []IndicatorKey{}
	}
	id, err := insertID(ctx, tx.tx, "record takedown",
		`INSERT INTO takedown_jobs (ticket, requested_by, mail, value_list, force, state, next_attempt_at, created_at)
		 VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
		j.Ticket, j.RequestedBy, nullInt(j.Mail), jstr(vals), btoi(j.Force), tstr(j.CreatedAt), tstr(j.CreatedAt))
	if err != nil {
		return 0, err
	}
	j.ID = id
	return j.ID, err
}

// DueTakedownJobs returns up to limit pending jobs due at now.
func (s *Store) DueTakedownJobs(ctx context.Context, now time.Time, limit int) ([]TakedownJob, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, ticket, requested_by, COALESCE(mail, 0), value_list, force, state, attempts, next_attempt_at, last_error, created_at
		 FROM takedown_jobs WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, tstr(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due takedowns: %w", err)
	}
	defer rows.Close()
	var out []TakedownJob
	for rows.Next() {
		var j TakedownJob
		var vals, next, created string
		if err := rows.Scan(&j.ID, &j.Ticket, &j.RequestedBy, &j.Mail, &vals, &j.Force, &j.State, &j.Attempts, &next, &j.LastError, &created); err != nil {
			return nil, fmt.Errorf("due takedowns: %w", err)
		}
		if err := jsonInto(vals, &j.Values); err != nil {
			return nil, fmt.Errorf("takedown job %d: %w", j.ID, err)
		}
		j.NextAt, j.CreatedAt = ptime(next), ptime(created)
		out = append(out, j)
	}
	return out, rows.Err()
}

// FinishTakedownJob marks job id done.
func (tx *Tx) FinishTakedownJob(ctx context.Context, id int64, at time.Time) error {
	_, err := exec(ctx, tx.tx, "finish takedown",
		`UPDATE takedown_jobs SET state = 'done', attempts = attempts + 1, done_at = ?, last_error = '' WHERE id = ?`, tstr(at), id)
	return err
}

// RetryTakedownJob records why job id could not be worked, and when to
// try again with the values still to do.
func (tx *Tx) RetryTakedownJob(ctx context.Context, id int64, values []IndicatorKey, why string, next time.Time) error {
	if values == nil {
		values = []IndicatorKey{}
	}
	_, err := exec(ctx, tx.tx, "retry takedown",
		`UPDATE takedown_jobs SET attempts = attempts + 1, value_list = ?, last_error = ?, next_attempt_at = ? WHERE id = ?`,
		jstr(values), why, tstr(next), id)
	return err
}

// ReporterAcked reports whether ticket n's reporter was acknowledged (an
// ack queued or sent, not suppressed): only such a reporter, one the
// gateway trusts to answer (DESIGN.md invariant 7), is told more later.
func (tx *Tx) ReporterAcked(ctx context.Context, n int64) (bool, error) {
	var c int
	err := tx.tx.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM outbox WHERE ticket = ? AND kind = 'ack' AND state IN ('queued', 'sent')`, n).Scan(&c)
	if err != nil {
		return false, fmt.Errorf("acks of ticket %d: %w", n, err)
	}
	return c > 0, nil
}

// LastTakedownRequest returns when the indicator was last requested of
// contact, zero if never.
func (tx *Tx) LastTakedownRequest(ctx context.Context, contact, typ, value string) (time.Time, error) {
	var at sql.NullString
	err := tx.tx.QueryRowContext(ctx,
		`SELECT MAX(requested_at) FROM takedown_requests WHERE contact = ? AND type = ? AND value = ?`,
		contact, typ, value).Scan(&at)
	if err != nil {
		return time.Time{}, fmt.Errorf("last takedown request: %w", err)
	}
	return ptime(at.String), nil
}

// AddTakedownRequest records a request queued to an abuse contact.
func (tx *Tx) AddTakedownRequest(ctx context.Context, r *TakedownRequest) (int64, error) {
	if r.State == "" {
		r.State = "requested"
	}
	id, err := insertID(ctx, tx.tx, "record takedown request",
		`INSERT INTO takedown_requests (ticket, job, type, value, contact, contact_name, source, outbox, state, requested_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.Ticket, nullInt(r.Job), r.Type, r.Value, r.Contact, r.ContactName, r.Source, nullInt(r.Outbox), r.State,
		tstr(r.RequestedAt), tstr(r.RequestedAt))
	if err != nil {
		return 0, err
	}
	r.ID = id
	return r.ID, err
}

// SetTakedownState sets the state of the requests of ticket n: those for
// value if it is not empty, those from contact if it is not empty.
// Expired and down requests stay so unless state is up or down.
func (tx *Tx) SetTakedownState(ctx context.Context, n int64, value, contact, state string, at time.Time) (int64, error) {
	res, err := exec(ctx, tx.tx, "set takedown state",
		`UPDATE takedown_requests SET state = ?, updated_at = ?
		 WHERE ticket = ? AND (? = '' OR value = ?) AND (? = '' OR contact = ?) AND state <> ?
		   AND (state NOT IN ('down', 'expired') OR ? IN ('up', 'down'))`,
		state, tstr(at), n, value, value, contact, contact, state, state)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// TakedownRequests lists the takedown requests of ticket n (all tickets
// if n is 0, only open ones, not down or expired, if open), oldest first.
func (s *Store) TakedownRequests(ctx context.Context, n int64, open bool) ([]TakedownRequest, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, ticket, COALESCE(job, 0), type, value, contact, contact_name, source, COALESCE(outbox, 0), state, requested_at, updated_at
		 FROM takedown_requests WHERE (? = 0 OR ticket = ?) AND (? = 0 OR state IN ('requested', 'answered', 'up'))
		 ORDER BY id`, n, n, btoi(open))
	if err != nil {
		return nil, fmt.Errorf("takedown requests: %w", err)
	}
	defer rows.Close()
	var out []TakedownRequest
	for rows.Next() {
		var r TakedownRequest
		var req, upd string
		if err := rows.Scan(&r.ID, &r.Ticket, &r.Job, &r.Type, &r.Value, &r.Contact, &r.ContactName, &r.Source, &r.Outbox, &r.State, &req, &upd); err != nil {
			return nil, fmt.Errorf("takedown requests: %w", err)
		}
		r.RequestedAt, r.UpdatedAt = ptime(req), ptime(upd)
		out = append(out, r)
	}
	return out, rows.Err()
}

// StartWatch begins checking url of ticket n (again, if it was watched:
// a new request restarts the clock).
func (tx *Tx) StartWatch(ctx context.Context, n int64, url string, at time.Time, interval time.Duration) error {
	_, err := exec(ctx, tx.tx, "watch url",
		`INSERT INTO takedown_watch (ticket, url, state, started_at, interval_s, next_check_at)
		 VALUES (?, ?, 'up', ?, ?, ?)
		 ON CONFLICT (ticket, url) DO UPDATE SET state = 'up', started_at = excluded.started_at, down_at = '',
		   interval_s = excluded.interval_s, next_check_at = excluded.next_check_at, redirects = 0`,
		n, url, tstr(at), int64(interval/time.Second), tstr(at))
	return err
}

const watchColumns = `ticket, url, state, started_at, down_at, interval_s, next_check_at, redirects, checks`

func scanWatch(sc interface{ Scan(...any) error }) (Watch, error) {
	var w Watch
	var started, down, next string
	var secs int64
	err := sc.Scan(&w.Ticket, &w.URL, &w.State, &started, &down, &secs, &next, &w.Redirects, &w.Checks)
	w.StartedAt, w.DownAt, w.NextAt, w.Interval = ptime(started), ptime(down), ptime(next), time.Duration(secs)*time.Second
	return w, err
}

func watchList(ctx context.Context, q querier, where string, args ...any) ([]Watch, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+watchColumns+` FROM takedown_watch `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("watched urls: %w", err)
	}
	defer rows.Close()
	var out []Watch
	for rows.Next() {
		w, err := scanWatch(rows)
		if err != nil {
			return nil, fmt.Errorf("watched urls: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// DueWatches returns up to limit watched URLs whose check is due at now.
func (s *Store) DueWatches(ctx context.Context, now time.Time, limit int) ([]Watch, error) {
	return watchList(ctx, s.r, `WHERE next_check_at <> '' AND next_check_at <= ? ORDER BY next_check_at LIMIT ?`, tstr(now), limit)
}

// Watches returns the watched URLs of ticket n.
func (s *Store) Watches(ctx context.Context, n int64) ([]Watch, error) {
	return watchList(ctx, s.r, `WHERE ticket = ? ORDER BY url`, n)
}

// Watches returns the watched URLs of ticket n.
func (tx *Tx) Watches(ctx context.Context, n int64) ([]Watch, error) {
	return watchList(ctx, tx.tx, `WHERE ticket = ? ORDER BY url`, n)
}

// UpdateWatch saves w after a check.
func (tx *Tx) UpdateWatch(ctx context.Context, w Watch) error {
	res, err := exec(ctx, tx.tx, "update watch",
		`UPDATE takedown_watch SET state = ?, down_at = ?, interval_s = ?, next_check_at = ?, redirects = ?, checks = ?
		 WHERE ticket = ? AND url = ?`,
		w.State, tstr(w.DownAt), int64(w.Interval/time.Second), tstr(w.NextAt), w.Redirects, w.Checks, w.Ticket, w.URL)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update watch of %q on ticket %d: %w", w.URL, w.Ticket, ErrNotFound)
	}
	return nil
}

// AddCheck records the result of one check.
func (tx *Tx) AddCheck(ctx context.Context, c *Check) error {
	id, err := insertID(ctx, tx.tx, "record check",
		`INSERT INTO takedown_checks (ticket, url, at, status, final_url, verdict, error) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Ticket, c.URL, tstr(c.At), c.Status, c.FinalURL, c.Verdict, c.Error)
	if err != nil {
		return err
	}
	c.ID = id
	return err
}

// Checks returns the last limit checks of ticket n, the newest first.
func (s *Store) Checks(ctx context.Context, n int64, limit int) ([]Check, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT id, ticket, url, at, status, final_url, verdict, error FROM takedown_checks
		 WHERE ticket = ? ORDER BY id DESC LIMIT ?`, n, limit)
	if err != nil {
		return nil, fmt.Errorf("checks of ticket %d: %w", n, err)
	}
	defer rows.Close()
	var out []Check
	for rows.Next() {
		var c Check
		var at string
		if err := rows.Scan(&c.ID, &c.Ticket, &c.URL, &at, &c.Status, &c.FinalURL, &c.Verdict, &c.Error); err != nil {
			return nil, fmt.Errorf("checks of ticket %d: %w", n, err)
		}
		c.At = ptime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func jsonInto(s string, v any) error {
	if s == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return errors.New("stored JSON does not decode: " + err.Error())
	}
	return nil
}
