package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Enqueue adds m to the outbox in state m.State (OutboxQueued if empty),
// due at m.NextAttemptAt (its CreatedAt if zero), and returns its id.
func (tx *Tx) Enqueue(ctx context.Context, m *OutboxMail) (int64, error) {
	if !slices.Contains(Kinds, m.Kind) {
		return 0, fmt.Errorf("queue mail: %q is not a kind of mail the outbox knows", m.Kind)
	}
	if m.State == "" {
		m.State = OutboxQueued
	}
	if m.NextAttemptAt.IsZero() && m.State == OutboxQueued {
		m.NextAttemptAt = m.CreatedAt
	}
	rcpt := m.Recipients
	if rcpt == nil {
		rcpt = []string{}
	}
	refs := m.References
	if refs == nil {
		refs = []string{}
	}
	data := string(m.Data)
	if data == "" {
		data = "{}"
	}
	id, err := insertID(ctx, tx.tx, "queue mail",
		`INSERT INTO outbox (ticket, kind, recipients, sender, reply_to, message_id, in_reply_to, refs, subject,
		   template, data, state, next_attempt_at, last_error, created_at, cause)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullInt(m.Ticket), m.Kind, jstr(rcpt), m.From, m.ReplyTo, m.MessageID, m.InReplyTo, jstr(refs), m.Subject,
		m.Template, data, m.State, tstr(m.NextAttemptAt), m.LastError, tstr(m.CreatedAt), nullInt(m.Cause))
	if err != nil {
		return 0, err
	}
	m.ID = id
	return m.ID, err
}

const outboxColumns = `id, COALESCE(ticket, 0), kind, recipients, sender, reply_to, message_id, in_reply_to, refs, subject,
	template, data, state, attempts, next_attempt_at, last_error, dsn_status, created_at, sent_at, COALESCE(cause, 0)`

func scanOutbox(sc interface{ Scan(...any) error }) (OutboxMail, error) {
	var m OutboxMail
	var rcpt, refs, data, next, created, sent string
	err := sc.Scan(&m.ID, &m.Ticket, &m.Kind, &rcpt, &m.From, &m.ReplyTo, &m.MessageID, &m.InReplyTo, &refs, &m.Subject,
		&m.Template, &data, &m.State, &m.Attempts, &next, &m.LastError, &m.DSNStatus, &created, &sent, &m.Cause)
	m.Recipients, m.References, m.Data = jstrings(rcpt), jstrings(refs), rawJSON(data)
	m.NextAttemptAt, m.CreatedAt, m.SentAt = ptime(next), ptime(created), ptime(sent)
	return m, err
}

func outboxList(ctx context.Context, q querier, where string, args ...any) ([]OutboxMail, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var ms []OutboxMail
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	return ms, nil
}

// OutboxByMessageID returns the queued mail sent with that Message-ID.
func (tx *Tx) OutboxByMessageID(ctx context.Context, messageID string) (OutboxMail, error) {
	m, err := scanOutbox(tx.tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE message_id = ?`, messageID))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxMail{}, fmt.Errorf("outbox mail %s: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return OutboxMail{}, fmt.Errorf("outbox mail %s: %w", messageID, err)
	}
	return m, nil
}

// CountQueued returns how many mails of kind to recipient were queued
// (not suppressed) since the given time, counting no further than limit
// when it is above 0: what a rate limit counts. A sender over its limit
// keeps sending (a report button, a catch-up of a busy mailbox) and each
// mail counted every one before it: 525 from one sender in the corpus
// benchmark, a row read for each.
func (tx *Tx) CountQueued(ctx context.Context, kind, recipient string, since time.Time, limit int) (int, error) {
	query := `SELECT count(*) FROM (SELECT 1 FROM outbox WHERE kind = ? AND recipients = ? AND created_at >= ? AND state <> 'suppressed'`
	args := []any{kind, jstr([]string{strings.ToLower(recipient)}), tstr(since)}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, query+`) AS queued`, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count queued mail: %w", err)
	}
	return n, nil
}

// CountAutomatic returns how many automatic mails (see Automatic) were
// queued, not suppressed, since the given time: what the global budget of
// automatic mail counts.
func (tx *Tx) CountAutomatic(ctx context.Context, since time.Time) (int, error) {
	return countAutomatic(ctx, tx.tx, since, false, 0)
}

// CountAutomaticUpTo is CountAutomatic counting no further than limit:
// enough to know whether the budget is spent, without reading the whole
// hour's outbox for every mail of a catch-up.
func (tx *Tx) CountAutomaticUpTo(ctx context.Context, since time.Time, limit int) (int, error) {
	return countAutomatic(ctx, tx.tx, since, false, limit)
}

// CountAutomaticSent returns how many automatic mails were sent since the
// given time.
func (s *Store) CountAutomaticSent(ctx context.Context, since time.Time) (int, error) {
	return countAutomatic(ctx, s.r, since, true, 0)
}

func countAutomatic(ctx context.Context, q querier, since time.Time, sent bool, limit int) (int, error) {
	var kinds []any
	for _, k := range Kinds {
		if Automatic(k) {
			kinds = append(kinds, k)
		}
	}
	where := `created_at >= ? AND state <> 'suppressed'`
	if sent {
		where = `sent_at >= ? AND state = 'sent'`
	}
	query := `SELECT count(*) FROM (SELECT 1 FROM outbox WHERE ` + where +
		` AND kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `)`
	args := append([]any{tstr(since)}, kinds...)
	if limit > 0 {
		// Counting no further than the budget keeps the cost flat however
		// full the hour is. PostgreSQL takes no negative LIMIT for "none".
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	query += `) AS automatic` // PostgreSQL before 16 wants the alias
	var n int
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count automatic mail: %w", err)
	}
	return n, nil
}

// OpenDigest returns the queued digest to recipient that has not left
// yet, if any: notices collapse into it while the budget is spent.
func (tx *Tx) OpenDigest(ctx context.Context, recipient string) (OutboxMail, bool, error) {
	m, err := scanOutbox(tx.tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE kind = ? AND recipients = ? AND state = 'queued' AND attempts = 0 ORDER BY id DESC LIMIT 1`,
		KindTriagerDigest, jstr([]string{strings.ToLower(recipient)})))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxMail{}, false, nil
	}
	if err != nil {
		return OutboxMail{}, false, fmt.Errorf("open digest to %s: %w", recipient, err)
	}
	return m, true, nil
}

// SetOutboxData replaces the data of a queued mail that has not been
// tried yet (a digest that grows).
func (tx *Tx) SetOutboxData(ctx context.Context, id int64, data []byte) error {
	return tx.setOutbox(ctx, id, `data = ?`, string(data))
}

// Defer puts a queued mail off until next without counting an attempt:
// the budget of automatic mail was spent, nothing failed.
func (s *Store) Defer(ctx context.Context, id int64, why string, next time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		return tx.setOutbox(ctx, id, `last_error = ?, next_attempt_at = ?, claim_until = 0`, why, tstr(next))
	})
}

// OutboxFilter selects outbox rows; zero fields select all.
type OutboxFilter struct {
	Ticket int64
	State  OutboxState
}

// Outbox lists the outbox, oldest first.
func (s *Store) Outbox(ctx context.Context, f OutboxFilter) ([]OutboxMail, error) {
	return outboxList(ctx, s.r,
		`WHERE (? = 0 OR ticket = ?) AND (? = '' OR state = ?) ORDER BY id`,
		f.Ticket, f.Ticket, f.State, f.State)
}

// NextDue returns up to limit queued mails due at now, the longest
// waiting first.
func (s *Store) NextDue(ctx context.Context, now time.Time, limit int) ([]OutboxMail, error) {
	return outboxList(ctx, s.r,
		`WHERE state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, tstr(now), limit)
}

// ClaimDue claims up to limit queued mails due at now for sender holder
// until ttl from now, the longest waiting first, and returns them. A mail
// claimed by another sender is skipped until its claim runs out (that
// sender died): on PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED,
// so that gateways claiming at once each take other mails without
// waiting on one another; on SQLite the write lock does the same.
func (s *Store) ClaimDue(ctx context.Context, holder string, now time.Time, limit int, ttl time.Duration) ([]OutboxMail, error) {
	var ms []OutboxMail
	lock := ""
	if s.d == postgresDialect {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	tx, err := s.aux.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("claim outbox mail: %w", err)
	}
	defer tx.Rollback()
	q := txn{tx: tx, d: s.d}
	clock := s.d.nowMillis()
	ms, err = outboxList(ctx, q, `WHERE id IN (SELECT id FROM outbox
		  WHERE state = 'queued' AND next_attempt_at <= ? AND claim_until < `+clock+`
		  ORDER BY next_attempt_at, id LIMIT ?`+lock+`)
		ORDER BY next_attempt_at, id`, tstr(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim outbox mail: %w", err)
	}
	for _, m := range ms {
		if _, err := exec(ctx, q, "claim outbox mail",
			`UPDATE outbox SET claimed_by = ?, claim_until = `+clock+` + ? WHERE id = ?`, holder, ttl.Milliseconds(), m.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("claim outbox mail: %w", err)
	}
	return ms, nil
}

// RenewClaim extends holder's claim on queued mail id to ttl from now,
// and says whether holder still has it: a sender checks, just before it
// sends a mail, that no other gateway took it over meanwhile.
func (s *Store) RenewClaim(ctx context.Context, id int64, holder string, ttl time.Duration) (bool, error) {
	res, err := exec(ctx, s.aux, "renew claim",
		`UPDATE outbox SET claim_until = `+s.d.nowMillis()+` + ? WHERE id = ? AND claimed_by = ? AND state = 'queued'
		   AND claim_until > `+s.d.nowMillis(), ttl.Milliseconds(), id, holder)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseClaims gives back holder's claims on the mails ids, left unsent
// (the sender stops): another gateway may send them at once.
func (s *Store) ReleaseClaims(ctx context.Context, holder string, ids []int64) error {
	for _, id := range ids {
		if _, err := exec(ctx, s.aux, "release claim",
			`UPDATE outbox SET claim_until = 0 WHERE id = ? AND claimed_by = ? AND state = 'queued'`, id, holder); err != nil {
			return err
		}
	}
	return nil
}

// MarkSent records that mail id was accepted by the submission server.
func (s *Store) MarkSent(ctx context.Context, id int64, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		return tx.setOutbox(ctx, id, `state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = ''`, tstr(at))
	})
}

// MarkRetry records a temporary failure of mail id and when to try again.
func (s *Store) MarkRetry(ctx context.Context, id int64, cause error, next time.Time) error {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	return s.Update(ctx, func(tx *Tx) error {
		return tx.setOutbox(ctx, id, `attempts = attempts + 1, last_error = ?, next_attempt_at = ?, claim_until = 0`, msg, tstr(next))
	})
}

// MarkFailed records that mail id can never be delivered, and says so on
// its ticket.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string, at time.Time) error {
	return s.Update(ctx, func(tx *Tx) error {
		return tx.MarkFailed(ctx, id, Failure{Reason: reason, At: at, Attempted: true})
	})
}

// Failure says why a queued mail failed for good.
type Failure struct {
	Reason string
	// DSNStatus is the status of the delivery status notification that
	// reported it, "5.1.1".
	DSNStatus string
	// Mail is the mail that reported it (a bounce), if any.
	Mail int64
	At   time.Time
	// Attempted counts the failure as a delivery attempt.
	Attempted bool
}

// MarkFailed records that mail id can never be delivered and records a
// "delivery-failed" event on its ticket.
func (tx *Tx) MarkFailed(ctx context.Context, id int64, f Failure) error {
	m, err := scanOutbox(tx.tx.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("outbox mail %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("outbox mail %d: %w", id, err)
	}
	attempt := 0
	if f.Attempted {
		attempt = 1
	}
	if err := tx.setOutbox(ctx, id, `state = 'failed', attempts = attempts + ?, last_error = ?, dsn_status = ?`,
		attempt, f.Reason, f.DSNStatus); err != nil {
		return err
	}
	if m.Ticket == 0 {
		return nil
	}
	detail := fmt.Sprintf("%s mail to %s failed: %s", m.Kind, strings.Join(m.Recipients, ", "), f.Reason)
	if f.DSNStatus != "" {
		detail += " (status " + f.DSNStatus + ")"
	}
	_, err = tx.AddEvent(ctx, Event{Ticket: m.Ticket, At: f.At, Kind: "delivery-failed", Mail: f.Mail, Detail: detail,
		Data: []byte(jstr(map[string]any{"outbox": id, "dsn_status": f.DSNStatus}))})
	return err
}

func (tx *Tx) setOutbox(ctx context.Context, id int64, set string, args ...any) error {
	res, err := exec(ctx, tx.tx, "update outbox", `UPDATE outbox SET `+set+` WHERE id = ?`, append(args, id)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("outbox mail %d: %w", id, ErrNotFound)
	}
	return nil
}
