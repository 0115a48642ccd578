package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Several gateways may share one store; one of them at a time leads: it
// runs the IMAP intake and the timers. Which one is a lease row with a
// deadline on the database's clock. Every write transaction runs under
// the one writer lock (Update), the lease's changes too; so a transaction
// that checks the lease first (a fenced one, WithFence) either commits
// before any takeover or fails: a leader that lost its lease, even one
// that does not know it yet (paused, cut off), commits nothing more.

// ErrLostLease is returned by a fenced transaction whose lease is no
// longer held.
var ErrLostLease = errors.New("the lease is held by another gateway")

// Lease is a lease as held by one holder.
type Lease struct {
	Name   string
	Holder string
	Epoch  int64
	// Expires is when it runs out, on the database's clock, in
	// milliseconds since 1970.
	Expires int64
}

// LeaseState is what AcquireLease found and did.
type LeaseState struct {
	Lease
	// Held says the caller holds it now.
	Held bool
	// Taken says the caller took it from another holder, or took it
	// anew (a new epoch).
	Taken bool
}

type fenceKey struct{}

// WithFence returns a context whose write transactions (Update) first
// check that l is still held, and fail with ErrLostLease if not.
func WithFence(ctx context.Context, l Lease) context.Context {
	return context.WithValue(ctx, fenceKey{}, &l)
}

// AcquireLease takes lease name for holder for ttl, or renews it if holder
// has it. It is taken when free or run out; a renewal by the holder keeps
// its epoch while the lease had not run out.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (LeaseState, error) {
	var st LeaseState
	err := s.update(ctx, s.aux, func(tx *Tx) error {
		var now int64
		if err := tx.tx.QueryRowContext(ctx, `SELECT `+tx.d.nowMillis()).Scan(&now); err != nil {
			return fmt.Errorf("read the clock: %w", err)
		}
		until := now + ttl.Milliseconds()
		var cur Lease
		err := tx.tx.QueryRowContext(ctx, `SELECT name, holder, epoch, expires_ms FROM leases WHERE name = ?`, name).
			Scan(&cur.Name, &cur.Holder, &cur.Epoch, &cur.Expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			st = LeaseState{Lease: Lease{name, holder, 1, until}, Held: true, Taken: true}
			_, err = exec(ctx, tx.tx, "take lease",
				`INSERT INTO leases (name, holder, epoch, expires_ms, acquired_ms) VALUES (?, ?, 1, ?, ?)`, name, holder, until, now)
			return err
		case err != nil:
			return fmt.Errorf("read lease %s: %w", name, err)
		case cur.Holder == holder && cur.Expires > now:
			st = LeaseState{Lease: Lease{name, holder, cur.Epoch, until}, Held: true}
			_, err = exec(ctx, tx.tx, "renew lease",
				`UPDATE leases SET expires_ms = ? WHERE name = ? AND epoch = ?`, until, name, cur.Epoch)
			return err
		case cur.Expires <= now:
			st = LeaseState{Lease: Lease{name, holder, cur.Epoch + 1, until}, Held: true, Taken: true}
			_, err = exec(ctx, tx.tx, "take lease",
				`UPDATE leases SET holder = ?, epoch = ?, expires_ms = ?, acquired_ms = ? WHERE name = ? AND epoch = ?`,
				holder, cur.Epoch+1, until, now, name, cur.Epoch)
			return err
		default:
			st = LeaseState{Lease: cur}
			return nil
		}
	})
	if err != nil {
		return LeaseState{}, fmt.Errorf("lease %s: %w", name, err)
	}
	return st, nil
}

// ReleaseLease gives l up at once (a gateway that stops), so that a
// standby need not wait for it to run out.
func (s *Store) ReleaseLease(ctx context.Context, l Lease) error {
	return s.update(ctx, s.aux, func(tx *Tx) error {
		_, err := exec(ctx, tx.tx, "release lease",
			`UPDATE leases SET expires_ms = 0 WHERE name = ? AND holder = ? AND epoch = ?`, l.Name, l.Holder, l.Epoch)
		return err
	})
}

// LeaseHolder returns the lease name as it stands (zero if never taken).
func (s *Store) LeaseHolder(ctx context.Context, name string) (Lease, error) {
	var l Lease
	err := s.r.QueryRowContext(ctx, `SELECT name, holder, epoch, expires_ms FROM leases WHERE name = ?`, name).
		Scan(&l.Name, &l.Holder, &l.Epoch, &l.Expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, nil
	}
	if err != nil {
		return Lease{}, fmt.Errorf("read lease %s: %w", name, err)
	}
	return l, nil
}

// checkLease fails with ErrLostLease unless l is held, unexpired, in this
// transaction.
func (tx *Tx) checkLease(ctx context.Context, l *Lease) error {
	var n int
	err := tx.tx.QueryRowContext(ctx,
		`SELECT count(*) FROM leases WHERE name = ? AND holder = ? AND epoch = ? AND expires_ms > `+tx.d.nowMillis(),
		l.Name, l.Holder, l.Epoch).Scan(&n)
	if err != nil {
		return fmt.Errorf("check lease %s: %w", l.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("lease %s (epoch %d): %w", l.Name, l.Epoch, ErrLostLease)
	}
	return nil
}

// TakeLeaseFrom takes lease name from a holder known to be dead (a process
// of this machine that no longer runs), without waiting for its lease to
// run out. It takes nothing if the lease changed hands meanwhile.
func (s *Store) TakeLeaseFrom(ctx context.Context, dead Lease, holder string, ttl time.Duration) (LeaseState, error) {
	var st LeaseState
	err := s.update(ctx, s.aux, func(tx *Tx) error {
		res, err := exec(ctx, tx.tx, "take lease",
			`UPDATE leases SET holder = ?, epoch = epoch + 1, expires_ms = `+tx.d.nowMillis()+` + ?, acquired_ms = `+tx.d.nowMillis()+`
			 WHERE name = ? AND holder = ? AND epoch = ?`, holder, ttl.Milliseconds(), dead.Name, dead.Holder, dead.Epoch)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			st = LeaseState{Lease: Lease{Name: dead.Name, Holder: holder, Epoch: dead.Epoch + 1}, Held: true, Taken: true}
		}
		return nil
	})
	return st, err
}
