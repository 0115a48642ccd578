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

// OpenTicket creates a ticket in state t.State (StateNew if empty) and
// records ev as its "opened" event. It returns the ticket's number.
func (tx *Tx) OpenTicket(ctx context.Context, t *Ticket, ev Event) (int64, error) {
	if t.State == "" {
		t.State = StateNew
	}
	if t.TLP == "" {
		t.TLP = "amber"
	}
	if t.UpdatedAt.IsZero() {
		t.UpdatedAt = t.CreatedAt
	}
	var inst int64
	if t.Institution != nil {
		inst = t.Institution.ID
	}
	id, err := insertID(ctx, tx.tx, "open ticket",
		`INSERT INTO tickets (state, subject, reporter, reporter_name, institution, opened_by, follows, flagged, severity, tlp, created_at, updated_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING number`,
		t.State, t.Subject, t.Reporter, t.ReporterName, nullInt(inst), nullInt(t.OpenedBy), nullInt(t.Follows),
		btoi(t.Flagged), t.Severity, t.TLP, tstr(t.CreatedAt), tstr(t.UpdatedAt))
	if err != nil {
		return 0, err
	}
	t.Number = id
	ev.Ticket, ev.Kind = t.Number, "opened"
	if ev.At.IsZero() {
		ev.At = t.CreatedAt
	}
	if _, err := tx.AddEvent(ctx, ev); err != nil {
		return 0, err
	}
	return t.Number, nil
}

const ticketColumns = `t.number, t.state, t.subject, t.reporter, t.reporter_name, COALESCE(t.opened_by, 0), COALESCE(t.follows, 0),
	t.flagged, t.severity, t.tlp, t.created_at, t.updated_at, t.closed_at,
	c.id, c.kind, c.name, c.email, c.domain, c.country, c.region`

const ticketFrom = ` FROM tickets t LEFT JOIN contacts c ON c.id = t.institution `

func scanTicket(sc interface{ Scan(...any) error }) (Ticket, error) {
	var t Ticket
	var created, updated, closed string
	var cid sql.NullInt64
	var ckind, cname, cemail, cdomain, ccountry, cregion sql.NullString
	err := sc.Scan(&t.Number, &t.State, &t.Subject, &t.Reporter, &t.ReporterName, &t.OpenedBy, &t.Follows,
		&t.Flagged, &t.Severity, &t.TLP, &created, &updated, &closed,
		&cid, &ckind, &cname, &cemail, &cdomain, &ccountry, &cregion)
	if err != nil {
		return Ticket{}, err
	}
	t.CreatedAt, t.UpdatedAt, t.ClosedAt = ptime(created), ptime(updated), ptime(closed)
	if cid.Valid {
		t.Institution = &Contact{ID: cid.Int64, Kind: ckind.String, Name: cname.String, Email: cemail.String,
			Domain: cdomain.String, Country: ccountry.String, Region: cregion.String}
	}
	return t, nil
}

func ticket(ctx context.Context, q querier, n int64) (Ticket, error) {
	t, err := scanTicket(q.QueryRowContext(ctx, `SELECT `+ticketColumns+ticketFrom+`WHERE t.number = ?`, n))
	if errors.Is(err, sql.ErrNoRows) {
		return Ticket{}, fmt.Errorf("ticket %d: %w", n, ErrNotFound)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("ticket %d: %w", n, err)
	}
	return t, nil
}

// Ticket returns ticket n, or an error wrapping ErrNotFound.
func (tx *Tx) Ticket(ctx context.Context, n int64) (Ticket, error) { return ticket(ctx, tx.tx, n) }

// Ticket returns ticket n, or an error wrapping ErrNotFound.
func (s *Store) Ticket(ctx context.Context, n int64) (Ticket, error) { return ticket(ctx, s.r, n) }

// SetState moves ticket n to state and records ev as a "state" event,
// its detail prefixed with "old -> new".
func (tx *Tx) SetState(ctx context.Context, n int64, state State, ev Event) error {
	t, err := tx.Ticket(ctx, n)
	if err != nil {
		return err
	}
	closed := tstr(t.ClosedAt)
	if !state.Open() {
		closed = tstr(ev.At)
	}
	if _, err := exec(ctx, tx.tx, "set ticket state",
		`UPDATE tickets SET state = ?, updated_at = ?, closed_at = ? WHERE number = ?`,
		state, tstr(ev.At), closed, n); err != nil {
		return err
	}
	if err := tx.slaStateChanged(ctx, t, state, ev.At); err != nil {
		return err
	}
	ev.Ticket, ev.Kind = n, "state"
	ev.Detail = strings.TrimSpace(fmt.Sprintf("%s -> %s: %s", t.State, state, ev.Detail))
	ev.Detail = strings.TrimSuffix(ev.Detail, ":")
	_, err = tx.AddEvent(ctx, ev)
	return err
}

// Flag marks ticket n for a triager's attention and records ev as a
// "flagged" event.
func (tx *Tx) Flag(ctx context.Context, n int64, ev Event) error {
	if _, err := exec(ctx, tx.tx, "flag ticket",
		`UPDATE tickets SET flagged = 1, updated_at = ? WHERE number = ?`, tstr(ev.At), n); err != nil {
		return err
	}
	ev.Ticket, ev.Kind = n, "flagged"
	_, err := tx.AddEvent(ctx, ev)
	return err
}

// Touch sets the ticket's updated time.
func (tx *Tx) Touch(ctx context.Context, n int64, at time.Time) error {
	_, err := exec(ctx, tx.tx, "touch ticket", `UPDATE tickets SET updated_at = ? WHERE number = ?`, tstr(at), n)
	return err
}

// AttachMail puts an incoming mail on a ticket.
func (tx *Tx) AttachMail(ctx context.Context, tm TicketMail) error {
	_, err := exec(ctx, tx.tx, "attach mail to ticket",
		`INSERT INTO ticket_mails (mail, ticket, role, matched_by, flagged) VALUES (?, ?, ?, ?, ?)`,
		tm.Mail, tm.Ticket, tm.Role, tm.MatchedBy, btoi(tm.Flagged))
	return err
}

// AddParticipant lets email write to ticket n; an existing participant
// keeps its first role.
func (tx *Tx) AddParticipant(ctx context.Context, n int64, email, role string, at time.Time) error {
	if email == "" {
		return nil
	}
	_, err := exec(ctx, tx.tx, "add participant",
		`INSERT INTO participants (ticket, email, role, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		n, strings.ToLower(email), role, tstr(at))
	return err
}

// AddParticipants is AddParticipant for several addresses of one role,
// in a few statements: a mail copied to a hospital's whole team
// brings dozens.
func (tx *Tx) AddParticipants(ctx context.Context, n int64, emails []string, role string, at time.Time) error {
	emails = slices.DeleteFunc(slices.Clone(emails), func(e string) bool { return e == "" })
	for chunk := range insertChunks(emails) {
		args := make([]any, 0, 4*len(chunk))
		for _, e := range chunk {
			args = append(args, n, strings.ToLower(e), role, tstr(at))
		}
		if _, err := exec(ctx, tx.tx, "add participants",
			`INSERT INTO participants (ticket, email, role, added_at) VALUES `+valueRows(len(chunk), 4)+` ON CONFLICT DO NOTHING`,
			args...); err != nil {
			return err
		}
	}
	return nil
}

// IsParticipant reports whether email is a participant of ticket n.
func (tx *Tx) IsParticipant(ctx context.Context, n int64, email string) (bool, error) {
	var one int
	err := tx.tx.QueryRowContext(ctx, `SELECT 1 FROM participants WHERE ticket = ? AND email = ?`,
		n, strings.ToLower(email)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check participant: %w", err)
	}
	return true, nil
}

// AddEvent appends ev to its ticket's log and returns its id.
func (tx *Tx) AddEvent(ctx context.Context, ev Event) (int64, error) {
	data := string(ev.Data)
	if data == "" {
		data = "{}"
	}
	if ev.Actor == "" {
		ev.Actor = "leaguemail"
	}
	id, err := insertID(ctx, tx.tx, "record event",
		`INSERT INTO events (ticket, at, actor, kind, mail, detail, data) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ev.Ticket, tstr(ev.At), ev.Actor, ev.Kind, nullInt(ev.Mail), ev.Detail, data)
	if err != nil {
		return 0, err
	}
	return id, nil
}
