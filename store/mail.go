package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Seen reports whether a mail was already taken in: by its origin (IMAP
// origins only; a file's content may change under the same name) or by the
// SHA-256 of its bytes. It returns the mail's id, or 0.
func (tx *Tx) Seen(ctx context.Context, o Origin, sha string) (byOrigin, bySHA int64, err error) {
	return seen(ctx, tx.tx, o, sha)
}

// Seen is Tx.Seen outside a transaction: a cheap check before parsing.
func (s *Store) Seen(ctx context.Context, o Origin, sha string) (byOrigin, bySHA int64, err error) {
	return seen(ctx, s.r, o, sha)
}

func seen(ctx context.Context, q querier, o Origin, sha string) (byOrigin, bySHA int64, err error) {
	if o.IsFile() || o.Mailbox == "" {
		err = q.QueryRowContext(ctx, `SELECT id FROM mails WHERE sha256 = ?`, sha).Scan(&bySHA)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, 0, fmt.Errorf("look up mail: %w", err)
		}
		return 0, bySHA, nil
	}
	// One statement for both: it is asked twice of every mail taken in.
	err = q.QueryRowContext(ctx, `SELECT
		 COALESCE((SELECT mail FROM origins WHERE mailbox = ? AND uid_validity = ? AND uid = ? LIMIT 1), 0),
		 COALESCE((SELECT id FROM mails WHERE sha256 = ?), 0)`,
		o.Mailbox, o.UIDValidity, o.UID, sha).Scan(&byOrigin, &bySHA)
	if err != nil {
		return 0, 0, fmt.Errorf("look up mail: %w", err)
	}
	return byOrigin, bySHA, nil
}

// InsertMail stores raw and its parse result m, and returns the new mail's
// id. m.SHA256 must be the SHA-256 of raw.
func (tx *Tx) InsertMail(ctx context.Context, m *Mail, raw []byte) (int64, error) {
	if _, err := exec(ctx, tx.tx, "store raw mail",
		`INSERT INTO raw (sha256, size, bytes) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING`,
		m.SHA256, len(raw), raw); err != nil {
		return 0, err
	}
	date := ""
	if !m.Date.IsZero() {
		date = tstr(m.Date)
	}
	errs := m.Errors
	if errs == nil {
		errs = []string{}
	}
	parse := string(m.Parse)
	if parse == "" {
		parse = "{}"
	}
	id, err := insertID(ctx, tx.tx, "store mail",
		`INSERT INTO mails (sha256, message_id, sender, subject, date, received_at, kind, parse, errors, disposition)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.SHA256, m.MessageID, m.From, m.Subject, date, tstr(m.ReceivedAt), m.Kind, parse, jstr(errs), m.Disposition)
	if err != nil {
		return 0, err
	}
	m.ID = id
	m.Size = int64(len(raw))
	return m.ID, err
}

// AddOrigin records that mail was read at o.
func (tx *Tx) AddOrigin(ctx context.Context, mail int64, o Origin, at time.Time) error {
	_, err := exec(ctx, tx.tx, "record origin",
		`INSERT INTO origins (mailbox, uid_validity, uid, mail, taken_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT DO NOTHING`, o.Mailbox, o.UIDValidity, o.UID, mail, tstr(at))
	return err
}

// SetDisposition records what triage made of a mail.
func (tx *Tx) SetDisposition(ctx context.Context, mail int64, disposition string) error {
	_, err := exec(ctx, tx.tx, "set disposition",
		`UPDATE mails SET disposition = ? WHERE id = ?`, disposition, mail)
	return err
}

// MailRef is a mail found by Message-ID, with the ticket it is on.
type MailRef struct {
	ID     int64
	From   string
	Ticket int64
}

// MailsByMessageID returns the mails with that Message-ID, oldest first.
func (tx *Tx) MailsByMessageID(ctx context.Context, messageID string) ([]MailRef, error) {
	if messageID == "" {
		return nil, nil
	}
	rows, err := tx.tx.QueryContext(ctx,
		`SELECT m.id, m.sender, COALESCE(tm.ticket, 0) FROM mails m LEFT JOIN ticket_mails tm ON tm.mail = m.id
		 WHERE m.message_id = ? AND m.message_id <> '' ORDER BY m.id`, messageID) // the index is partial: say so, or it is not used
	if err != nil {
		return nil, fmt.Errorf("look up message-id: %w", err)
	}
	defer rows.Close()
	var refs []MailRef
	for rows.Next() {
		var r MailRef
		if err := rows.Scan(&r.ID, &r.From, &r.Ticket); err != nil {
			return nil, fmt.Errorf("look up message-id: %w", err)
		}
		refs = append(refs, r)
	}
	return refs, rows.Err()
}

const mailColumns = `m.id, m.sha256, COALESCE(r.size, 0), m.message_id, m.sender, m.subject, m.date, m.received_at, m.kind, m.parse, m.errors, m.disposition`

func scanMail(sc interface{ Scan(...any) error }) (Mail, error) {
	var m Mail
	var date, recv, parse, errs string
	err := sc.Scan(&m.ID, &m.SHA256, &m.Size, &m.MessageID, &m.From, &m.Subject, &date, &recv, &m.Kind, &parse, &errs, &m.Disposition)
	m.Date, m.ReceivedAt, m.Parse, m.Errors = ptime(date), ptime(recv), rawJSON(parse), jstrings(errs)
	return m, err
}

// Mail returns one mail, without its bytes.
func (s *Store) Mail(ctx context.Context, id int64) (Mail, error) {
	m, err := scanMail(s.r.QueryRowContext(ctx,
		`SELECT `+mailColumns+` FROM mails m LEFT JOIN raw r ON r.sha256 = m.sha256 WHERE m.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Mail{}, fmt.Errorf("mail %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Mail{}, fmt.Errorf("mail %d: %w", id, err)
	}
	return m, nil
}

// Raw returns the bytes of a mail as received, nil if purged.
func (s *Store) Raw(ctx context.Context, sha string) ([]byte, error) {
	var b []byte
	err := s.r.QueryRowContext(ctx, `SELECT bytes FROM raw WHERE sha256 = ?`, sha).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("raw mail %s: %w", sha, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("raw mail %s: %w", sha, err)
	}
	return b, nil
}

// Origins returns where a mail was read, in the order taken.
func (s *Store) Origins(ctx context.Context, mail int64) ([]Origin, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT mailbox, uid_validity, uid FROM origins WHERE mail = ? ORDER BY taken_at, mailbox, uid_validity, uid`, mail)
	if err != nil {
		return nil, fmt.Errorf("origins of mail %d: %w", mail, err)
	}
	defer rows.Close()
	var os []Origin
	for rows.Next() {
		var o Origin
		if err := rows.Scan(&o.Mailbox, &o.UIDValidity, &o.UID); err != nil {
			return nil, fmt.Errorf("origins of mail %d: %w", mail, err)
		}
		os = append(os, o)
	}
	return os, rows.Err()
}

// MailTicket returns how mail is on a ticket, or an error wrapping
// ErrNotFound if it is on none.
func (s *Store) MailTicket(ctx context.Context, mail int64) (TicketMail, error) {
	var tm TicketMail
	err := s.r.QueryRowContext(ctx, `SELECT mail, ticket, role, matched_by, flagged FROM ticket_mails WHERE mail = ?`, mail).
		Scan(&tm.Mail, &tm.Ticket, &tm.Role, &tm.MatchedBy, &tm.Flagged)
	if errors.Is(err, sql.ErrNoRows) {
		return TicketMail{}, fmt.Errorf("ticket of mail %d: %w", mail, ErrNotFound)
	}
	if err != nil {
		return TicketMail{}, fmt.Errorf("ticket of mail %d: %w", mail, err)
	}
	return tm, nil
}
