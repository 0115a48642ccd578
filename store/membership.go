package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Issue 15: what a reporter hears back (verdicts, who must not be
// answered), and who joins or leaves the area alerts (memberships,
// subscriptions).

// The verdicts of #close; #reject is benign.
var Verdicts = []string{"malicious", "suspicious", "benign", "spam", "duplicate", "resolved"}

// SetVerdict records what a triager concluded of ticket n.
func (tx *Tx) SetVerdict(ctx context.Context, n int64, verdict, by string, at time.Time) error {
	_, err := exec(ctx, tx.tx, "record verdict",
		`INSERT INTO verdicts (ticket, verdict, by, at) VALUES (?, ?, ?, ?)
		 ON CONFLICT (ticket) DO UPDATE SET verdict = excluded.verdict, by = excluded.by, at = excluded.at`,
		n, verdict, by, tstr(at))
	return err
}

// Verdict returns the verdict of ticket n, "" if it has none.
func (s *Store) Verdict(ctx context.Context, n int64) (string, error) { return verdict(ctx, s.r, n) }

// Verdict returns the verdict of ticket n, "" if it has none.
func (tx *Tx) Verdict(ctx context.Context, n int64) (string, error) { return verdict(ctx, tx.tx, n) }

func verdict(ctx context.Context, q querier, n int64) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT verdict FROM verdicts WHERE ticket = ?`, n).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("verdict of ticket %d: %w", n, err)
	}
	return v, nil
}

// SetUnanswerable records why the reporter of ticket n must never be
// answered: the outcome of the ticket is not sent either.
func (tx *Tx) SetUnanswerable(ctx context.Context, n int64, why string) error {
	_, err := exec(ctx, tx.tx, "record unanswerable reporter",
		`INSERT INTO unanswerable (ticket, why) VALUES (?, ?) ON CONFLICT (ticket) DO UPDATE SET why = excluded.why`, n, why)
	return err
}

// Unanswerable says why the reporter of ticket n must not be answered, ""
// if it may.
func (tx *Tx) Unanswerable(ctx context.Context, n int64) (string, error) {
	var why string
	err := tx.tx.QueryRowContext(ctx, `SELECT why FROM unanswerable WHERE ticket = ?`, n).Scan(&why)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reporter of ticket %d: %w", n, err)
	}
	return why, nil
}

// MergedInto returns the tickets merged into ticket n, directly or through
// others, in order.
func (tx *Tx) MergedInto(ctx context.Context, n int64) ([]int64, error) {
	return int64s(ctx, tx.tx,
		`WITH RECURSIVE m(number) AS (
		   SELECT number FROM tickets WHERE merged_into = ?
		   UNION SELECT t.number FROM tickets t JOIN m ON t.merged_into = m.number)
		 SELECT number FROM m ORDER BY number`, n)
}

// Action is something the league did about a ticket, as a reporter is
// told of it: an escalation, an alert, a takedown request.
type Action struct {
	Kind       string
	Recipients []string
	At         time.Time
}

// Actions returns the mails of the given kinds queued or sent about
// ticket n, oldest first; suppressed and failed ones were not done.
func (tx *Tx) Actions(ctx context.Context, n int64, kinds ...string) ([]Action, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	args := []any{n}
	for _, k := range kinds {
		args = append(args, k)
	}
	ms, err := outboxList(ctx, tx.tx, `WHERE ticket = ? AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`)
		AND state IN ('queued', 'sent') ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, m := range ms {
		at := m.SentAt
		if at.IsZero() {
			at = m.CreatedAt
		}
		out = append(out, Action{Kind: m.Kind, Recipients: m.Recipients, At: at})
	}
	return out, nil
}

// Membership is a request to join the league's area alerts: a ticket of
// kind membership.
type Membership struct {
	Ticket       int64  `json:"ticket"`
	Email        string `json:"email"`
	Name         string `json:"name,omitempty"`
	Organisation string `json:"organisation,omitempty"`
	// Unauthenticated says why our MTA could not vouch for the sender.
	Unauthenticated string `json:"unauthenticated,omitempty"`
	// Decision is "", approved or denied.
	Decision string `json:"decision,omitempty"`
	Contact  int64  `json:"contact,omitempty"`
}

// AddMembership records that ticket m.Ticket is a membership request.
func (tx *Tx) AddMembership(ctx context.Context, m Membership) error {
	_, err := exec(ctx, tx.tx, "record membership request",
		`INSERT INTO memberships (ticket, email, name, organisation, unauthenticated) VALUES (?, ?, ?, ?, ?)`,
		m.Ticket, strings.ToLower(m.Email), m.Name, m.Organisation, m.Unauthenticated)
	return err
}

// Membership returns the membership request of ticket n; found is false
// when the ticket is a report.
func (tx *Tx) Membership(ctx context.Context, n int64) (m Membership, found bool, err error) {
	var contact sql.NullInt64
	err = tx.tx.QueryRowContext(ctx, `SELECT ticket, email, name, organisation, unauthenticated, decision, contact
		FROM memberships WHERE ticket = ?`, n).Scan(&m.Ticket, &m.Email, &m.Name, &m.Organisation, &m.Unauthenticated, &m.Decision, &contact)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("membership of ticket %d: %w", n, err)
	}
	m.Contact = contact.Int64
	return m, true, nil
}

// DecideMembership records the decision on the request of ticket n, and
// the contact an approval made.
func (tx *Tx) DecideMembership(ctx context.Context, n int64, decision string, contact int64) error {
	_, err := exec(ctx, tx.tx, "decide membership",
		`UPDATE memberships SET decision = ?, contact = ? WHERE ticket = ?`, decision, nullInt(contact), n)
	return err
}

// ContactByID returns the contact of that id.
func (tx *Tx) ContactByID(ctx context.Context, id int64) (Contact, error) {
	cs, err := contactList(ctx, tx.tx, `WHERE id = ?`, id)
	if err != nil {
		return Contact{}, err
	}
	if len(cs) == 0 {
		return Contact{}, fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	return cs[0], nil
}

// SetSubscribed subscribes contact id to the area alerts, or takes it off
// them. It reports whether that changed anything.
func (tx *Tx) SetSubscribed(ctx context.Context, id int64, subscribed bool) (bool, error) {
	res, err := exec(ctx, tx.tx, "set subscription",
		`UPDATE contacts SET unsubscribed = ? WHERE id = ? AND unsubscribed != ?`, btoi(!subscribed), id, btoi(!subscribed))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// OutcomeIndicators returns the indicators of ticket n that its outcome
// may tell reporter: those a triager verified on n, and of those, when n
// is TLP:AMBER or RED, only the ones the reporter's own mails carried. A
// ticket that others were merged into holds their reporters' evidence,
// which a reporter learns only as the league publishes it (DESIGN.md
// invariant 8).
func (tx *Tx) OutcomeIndicators(ctx context.Context, n int64, reporter string) ([]IndicatorKey, error) {
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT i.type, i.value FROM verifications v
		 JOIN indicators i ON i.id = v.indicator
		 JOIN tickets t ON t.number = v.ticket
		 WHERE v.ticket = ?
		   AND EXISTS (SELECT 1 FROM sightings s WHERE s.indicator = v.indicator AND s.ticket = v.ticket AND s.pending = 0)
		   AND (t.tlp IN ('clear', 'green') OR EXISTS (
		     SELECT 1 FROM sightings s JOIN mails m ON m.id IN (s.first_mail, s.last_mail)
		     WHERE s.indicator = v.indicator AND s.ticket = v.ticket AND s.pending = 0 AND m.sender = ?))
		 ORDER BY i.type, i.value`, n, strings.ToLower(reporter))
	if err != nil {
		return nil, fmt.Errorf("indicators of ticket %d for its outcome: %w", n, err)
	}
	defer rows.Close()
	var out []IndicatorKey
	for rows.Next() {
		var k IndicatorKey
		if err := rows.Scan(&k.Type, &k.Value); err != nil {
			return nil, fmt.Errorf("indicators of ticket %d for its outcome: %w", n, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// MarkImpersonation records that contact is told of lookalike domain,
// seen on ticket n. It reports false when it was told already.
func (tx *Tx) MarkImpersonation(ctx context.Context, contact int64, domain string, n int64, at time.Time) (bool, error) {
	res, err := exec(ctx, tx.tx, "record impersonation",
		`INSERT INTO impersonations (contact, domain, ticket, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		contact, strings.ToLower(domain), n, tstr(at))
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k > 0, err
}

// CameEncrypted reports whether mail came encrypted to the league (the
// crypto layer's event on its ticket), inside a transaction.
func (tx *Tx) CameEncrypted(ctx context.Context, mail int64) (bool, error) {
	var n int
	err := tx.tx.QueryRowContext(ctx,
		`SELECT count(*) FROM events WHERE mail = ? AND kind = 'crypto' AND data LIKE '%"encrypted":true%'`, mail).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read crypto events of mail %d: %w", mail, err)
	}
	return n > 0, nil
}
