package triage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// DispPoison is the disposition of a mail the gateway died on: stored
// unparsed, on a flagged ticket of its own.
const DispPoison = "poison"

// poisonHeaderLimit bounds the header read for the ticket's sender and
// subject: the mail killed the gateway, so nothing of it is read beyond.
const poisonHeaderLimit = 64 << 10

// Poison takes in a mail that the intake could not take without the
// process dying (out of memory, a crash in a C library), so that it is
// not fetched again forever: the raw bytes are stored as they came and a
// flagged ticket is opened with reason, the parser never run. raw may be
// nil when fetching it was what killed the process. Like Take it records
// the origin and advances the checkpoint, and is idempotent by origin.
func (g *Gateway) Poison(ctx context.Context, raw []byte, origin Origin, reason string) error {
	key := raw
	if raw == nil {
		// No bytes: a key of its own per origin, so that two such mails
		// are two mails.
		key = fmt.Appendf(nil, "unfetched %s %d %d", origin.Mailbox, origin.UIDValidity, origin.UID)
	}
	sum := sha256.Sum256(key)
	sha := hex.EncodeToString(sum[:])
	from, subject, msgID := poisonHeader(raw)
	now := g.cfg.Now()
	var ticket, id int64
	err := g.st.Update(ctx, func(tx *store.Tx) error {
		ticket, id = 0, 0
		byOrigin, bySHA, err := tx.Seen(ctx, origin, sha)
		if err != nil || byOrigin != 0 {
			return err
		}
		if bySHA != 0 {
			// The same bytes were taken before: this copy is known.
			if err := tx.AddOrigin(ctx, bySHA, origin, now); err != nil {
				return err
			}
			return tx.AdvanceCheckpoint(ctx, origin, now)
		}
		m := &store.Mail{SHA256: sha, MessageID: normID(msgID), From: from, Subject: subject, ReceivedAt: now,
			Errors: []string{reason}}
		if id, err = tx.InsertMail(ctx, m, raw); err != nil {
			return err
		}
		if err := tx.AddOrigin(ctx, id, origin, now); err != nil {
			return err
		}
		if err := tx.AdvanceCheckpoint(ctx, origin, now); err != nil {
			return err
		}
		if subject == "" {
			subject = "(a mail the gateway could not read)"
		}
		detail := fmt.Sprintf("not parsed: %s (%s, UID %d); the mail is kept as it came and was moved to the failed folder",
			reason, origin.Mailbox, origin.UID)
		if raw == nil {
			detail += "; its bytes could not be fetched without the gateway dying, find it in the mailbox's failed folder"
		}
		actor := from
		if actor == "" {
			actor = "(no sender)"
		}
		ticket, err = tx.OpenTicket(ctx, &store.Ticket{Subject: subject, Reporter: from, OpenedBy: id, Flagged: true, CreatedAt: now},
			store.Event{Actor: actor, Mail: id, Detail: detail})
		if err != nil {
			return err
		}
		return tx.SetDisposition(ctx, id, DispPoison)
	})
	if err != nil {
		return fmt.Errorf("poison mail %s from %s: %w", sha[:12], origin.Mailbox, err)
	}
	if ticket != 0 {
		g.log.LogAttrs(ctx, slog.LevelWarn, "mail taken unparsed: the gateway died on it", slog.String("sha256", sha[:12]),
			slog.String("mailbox", origin.Mailbox), slog.Any("uid", origin.UID), slog.Int64("mail", id), slog.Int64("ticket", ticket),
			slog.String("reason", reason), slog.String("message_id", msgID), slog.String("from", from))
	}
	return nil
}

// Hold records that the intake holds uids of an IMAP mailbox (see
// store.Store.Hold).
func (g *Gateway) Hold(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error {
	return g.st.Hold(ctx, mailbox, uidValidity, uids, g.cfg.Now())
}

// Release records that the intake is done with uids.
func (g *Gateway) Release(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error {
	return g.st.Release(ctx, mailbox, uidValidity, uids)
}

// Recover counts a crash for each UID still held, once at start, and
// returns the UIDs with crashes in a row.
func (g *Gateway) Recover(ctx context.Context, mailbox string, uidValidity uint32) (map[uint32]int, error) {
	return g.st.Recover(ctx, mailbox, uidValidity, g.cfg.Now())
}

// poisonHeader reads the sender, subject and Message-ID from the first
// bytes of raw with the standard library alone; "" where it cannot.
func poisonHeader(raw []byte) (from, subject, msgID string) {
	if raw == nil {
		return "", "", ""
	}
	m, err := mail.ReadMessage(io.LimitReader(bytes.NewReader(raw), poisonHeaderLimit))
	if err != nil {
		return "", "", ""
	}
	if a, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
		from = strings.ToLower(a.Address)
	}
	dec := new(mime.WordDecoder)
	subject = m.Header.Get("Subject")
	if d, err := dec.DecodeHeader(subject); err == nil {
		subject = d
	}
	return from, oneLine(subject), m.Header.Get("Message-Id")
}
