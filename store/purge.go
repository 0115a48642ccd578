package store

import (
	"context"
	"fmt"
	"time"
)

// Purged counts what Purge dropped.
type Purged struct {
	Raw    int64 `json:"raw"`    // raw mails whose bytes were dropped
	Parses int64 `json:"parses"` // parse results (text, attachment list) dropped
	Outbox int64 `json:"outbox"` // finished outbox mails whose data was dropped
}

// Purge drops, for the mails received before cutoff, what the
// institutions' data-protection rules limit in time: the raw bytes (with
// their attachments), the parse result (the reporter's text, names of
// attached files), and the data of outbox mails finished before cutoff.
// Tickets, events, indicators and their sightings stay: they are the
// league's record of the incident, and hold no mail body.
func (s *Store) Purge(ctx context.Context, cutoff time.Time) (Purged, error) {
	var p Purged
	c := tstr(cutoff)
	err := s.Update(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `UPDATE raw SET bytes = NULL
			WHERE bytes IS NOT NULL AND sha256 IN (SELECT sha256 FROM mails WHERE received_at < ?)`, c)
		if err != nil {
			return fmt.Errorf("purge raw mail: %w", err)
		}
		p.Raw, _ = res.RowsAffected()
		res, err = tx.tx.ExecContext(ctx, `UPDATE mails SET parse = '{}' WHERE received_at < ? AND parse <> '{}'`, c)
		if err != nil {
			return fmt.Errorf("purge parse results: %w", err)
		}
		p.Parses, _ = res.RowsAffected()
		res, err = tx.tx.ExecContext(ctx, `UPDATE outbox SET data = '{}'
			WHERE state <> 'queued' AND created_at < ? AND data <> '{}'`, c)
		if err != nil {
			return fmt.Errorf("purge outbox data: %w", err)
		}
		p.Outbox, _ = res.RowsAffected()
		return nil
	})
	if err != nil {
		return Purged{}, err
	}
	// Give the freed pages back to the file system: purging is for data
	// that must be gone, not only unreferenced.
	if s.d == postgresDialect {
		// PostgreSQL's autovacuum reclaims the rows; VACUUM FULL would lock
		// every gateway out of the tables for its whole run.
		return p, nil
	}
	if _, err := s.w.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return p, fmt.Errorf("purge: checkpoint: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `VACUUM`); err != nil {
		return p, fmt.Errorf("purge: vacuum: %w", err)
	}
	return p, nil
}
