package store

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// TicketSummary is one line of the ticket list.
type TicketSummary struct {
	Ticket
	Mails      int `json:"mails"`
	Indicators int `json:"indicators"`
	Outbox     int `json:"outbox"`
}

// TicketFilter selects tickets; zero fields select all.
type TicketFilter struct {
	State State
}

// Tickets lists tickets, the newest first.
func (s *Store) Tickets(ctx context.Context, f TicketFilter) ([]TicketSummary, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+ticketColumns+`,
		  (SELECT count(*) FROM ticket_mails tm WHERE tm.ticket = t.number),
		  (SELECT count(DISTINCT indicator) FROM sightings si WHERE si.ticket = t.number),
		  (SELECT count(*) FROM outbox o WHERE o.ticket = t.number)`+ticketFrom+`
		WHERE (? = '' OR t.state = ?) ORDER BY t.number DESC`, f.State, f.State)
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var out []TicketSummary
	for rows.Next() {
		var ts TicketSummary
		var extra [3]int
		t, err := scanTicket(scanAppend{rows, []any{&extra[0], &extra[1], &extra[2]}})
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		ts.Ticket, ts.Mails, ts.Indicators, ts.Outbox = t, extra[0], extra[1], extra[2]
		out = append(out, ts)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return out, nil
}

// scanAppend scans extra columns after those a scan function knows.
type scanAppend struct {
	sc    interface{ Scan(...any) error }
	extra []any
}

func (s scanAppend) Scan(dest ...any) error { return s.sc.Scan(append(dest, s.extra...)...) }

// Entry is one mail of a ticket's conversation: an incoming mail (Mail
// set) or one from the outbox (Outbox set).
type Entry struct {
	At     time.Time   `json:"at"`
	In     *InMail     `json:"in,omitempty"`
	Outbox *OutboxMail `json:"out,omitempty"`
}

// InMail is an incoming mail on a ticket.
type InMail struct {
	Mail
	Role      string `json:"role"`
	MatchedBy string `json:"matched_by,omitempty"`
	Flagged   bool   `json:"flagged"`
}

// TicketDetail is everything known of one ticket.
type TicketDetail struct {
	Ticket       Ticket            `json:"ticket"`
	Participants []Participant     `json:"participants"`
	Conversation []Entry           `json:"conversation"`
	Indicators   []TicketIndicator `json:"indicators"`
	Correlations []Correlation     `json:"correlations"`
	Events       []Event           `json:"events"`
	Outbox       []OutboxMail      `json:"outbox"`
}

// TicketDetail returns ticket n with its conversation in order, its
// indicators, events and queued mails.
func (s *Store) TicketDetail(ctx context.Context, n int64) (*TicketDetail, error) {
	t, err := ticket(ctx, s.r, n)
	if err != nil {
		return nil, err
	}
	d := &TicketDetail{Ticket: t}
	if d.Participants, err = participants(ctx, s.r, n); err != nil {
		return nil, err
	}
	if d.Indicators, err = ticketIndicators(ctx, s.r, n); err != nil {
		return nil, err
	}
	if d.Correlations, err = correlate(ctx, s.r, n); err != nil {
		return nil, err
	}
	if d.Events, err = events(ctx, s.r, n); err != nil {
		return nil, err
	}
	if d.Outbox, err = outboxList(ctx, s.r, `WHERE ticket = ? ORDER BY id`, n); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+mailColumns+`, tm.role, tm.matched_by, tm.flagged
		FROM ticket_mails tm JOIN mails m ON m.id = tm.mail LEFT JOIN raw r ON r.sha256 = m.sha256
		WHERE tm.ticket = ? ORDER BY m.id`, n)
	if err != nil {
		return nil, fmt.Errorf("mails of ticket %d: %w", n, err)
	}
	defer rows.Close()
	for rows.Next() {
		in := &InMail{}
		m, err := scanMail(scanAppend{rows, []any{&in.Role, &in.MatchedBy, &in.Flagged}})
		if err != nil {
			return nil, fmt.Errorf("mails of ticket %d: %w", n, err)
		}
		in.Mail = m
		d.Conversation = append(d.Conversation, Entry{At: m.ReceivedAt, In: in})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mails of ticket %d: %w", n, err)
	}
	for i := range d.Outbox {
		o := &d.Outbox[i]
		if o.State == OutboxSuppressed {
			continue
		}
		d.Conversation = append(d.Conversation, Entry{At: o.CreatedAt, Outbox: o})
	}
	// Incoming mails come before what they caused: a stable sort by time
	// keeps the order of ids for mails taken in at the same instant.
	sort.SliceStable(d.Conversation, func(i, j int) bool { return d.Conversation[i].At.Before(d.Conversation[j].At) })
	return d, nil
}

func participants(ctx context.Context, q querier, n int64) ([]Participant, error) {
	rows, err := q.QueryContext(ctx, `SELECT email, role, added_at FROM participants WHERE ticket = ? ORDER BY added_at, email`, n)
	if err != nil {
		return nil, fmt.Errorf("participants of ticket %d: %w", n, err)
	}
	defer rows.Close()
	var out []Participant
	for rows.Next() {
		var p Participant
		var at string
		if err := rows.Scan(&p.Email, &p.Role, &at); err != nil {
			return nil, fmt.Errorf("participants of ticket %d: %w", n, err)
		}
		p.AddedAt = ptime(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

func events(ctx context.Context, q querier, n int64) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, ticket, at, actor, kind, COALESCE(mail, 0), detail, data
		FROM events WHERE ticket = ? ORDER BY id`, n)
	if err != nil {
		return nil, fmt.Errorf("events of ticket %d: %w", n, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at, data string
		if err := rows.Scan(&e.ID, &e.Ticket, &at, &e.Actor, &e.Kind, &e.Mail, &e.Detail, &data); err != nil {
			return nil, fmt.Errorf("events of ticket %d: %w", n, err)
		}
		e.At = ptime(at)
		if data != "{}" {
			e.Data = rawJSON(data)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Events returns the log of ticket n, oldest first.
func (s *Store) Events(ctx context.Context, n int64) ([]Event, error) { return events(ctx, s.r, n) }

// Counts are the number of rows in the main tables.
type Counts struct {
	Raw, Mails, Origins, Tickets, Events, Indicators, Sightings, Outbox int
}

// Counts counts the rows of the main tables, for tests and reports.
func (s *Store) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM raw), (SELECT count(*) FROM mails), (SELECT count(*) FROM origins),
		(SELECT count(*) FROM tickets), (SELECT count(*) FROM events), (SELECT count(*) FROM indicators),
		(SELECT count(*) FROM sightings), (SELECT count(*) FROM outbox)`).
		Scan(&c.Raw, &c.Mails, &c.Origins, &c.Tickets, &c.Events, &c.Indicators, &c.Sightings, &c.Outbox)
	if err != nil {
		return Counts{}, fmt.Errorf("count rows: %w", err)
	}
	return c, nil
}
