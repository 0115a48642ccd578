package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

var errClosed = errors.New("imap: connection closed by the server")

// session is one connection's worth of intake.
type session struct {
	in      *Intake
	c       *imapclient.Client
	newMail chan struct{} // signalled, without blocking, on EXISTS

	uidValidity uint32
	last        imap.UID // highest UID the sink has committed
	// unmoved counts the messages the server refused to move since the
	// last sweep began; while there are any, the sweep runs again each
	// poll interval.
	unmoved int
	// left are the UIDs the server gave no body for in this session: the
	// catch-up passes them by (or it would ask again for ever, when one is
	// the highest); the next session asks again.
	left map[imap.UID]bool
}

// session connects, catches up, then waits for new mail until an error or
// the end of ctx.
func (in *Intake) session(ctx context.Context) error {
	s := &session{in: in, newMail: make(chan struct{}, 1), left: map[imap.UID]bool{}}
	h := &imapclient.UnilateralDataHandler{
		// Runs on the client's reader goroutine: only signal.
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				select {
				case s.newMail <- struct{}{}:
				default:
				}
			}
		},
	}
	c, err := in.dial(ctx, h)
	if err != nil {
		return err
	}
	s.c = c
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	in.m.connects.Inc()

	if err := s.ensureFolder(in.cfg.Processed); err != nil {
		return err
	}
	if err := s.ensureFolder(in.cfg.Failed); err != nil {
		return err
	}
	if err := s.selectMailbox(ctx); err != nil {
		return err
	}
	if err := s.recover(ctx); err != nil {
		return err
	}
	in.setConnected(true)
	if err := s.sweep(ctx); err != nil {
		return err
	}
	for {
		select { // what arrives from here on is seen by the search below
		case <-s.newMail:
		default:
		}
		if s.unmoved > 0 {
			if err := s.sweep(ctx); err != nil {
				return err
			}
		}
		if err := s.catchUp(ctx); err != nil {
			return err
		}
		in.caughtUp()
		if err := s.wait(ctx); err != nil {
			return err
		}
	}
}

// guard runs fn and drops the connection when the server has not answered
// within the timeout: the client waits for replies with no deadline of its
// own. fn may call kick to grant the timeout again, as a long reply
// progresses.
func (s *session) guard(fn func(kick func()) error) error {
	d := s.in.cfg.Timeout
	var fired atomic.Bool
	t := time.AfterFunc(d, func() {
		fired.Store(true)
		s.c.Close()
	})
	err := fn(func() { t.Reset(d) })
	t.Stop()
	if err != nil && fired.Load() {
		return fmt.Errorf("imap: no reply from the server within %v: %w", d, err)
	}
	return err
}

func (s *session) do(fn func() error) error {
	return s.guard(func(func()) error { return fn() })
}

// selectMailbox selects the mailbox and reads the sink's checkpoint for it.
func (s *session) selectMailbox(ctx context.Context) error {
	box := s.in.acct.Mailbox
	var data *imap.SelectData
	err := s.do(func() (err error) {
		data, err = s.c.Select(box, nil).Wait()
		return err
	})
	if err != nil {
		return fmt.Errorf("imap: select %q: %w", box, err)
	}
	if data.UIDValidity == 0 {
		return fmt.Errorf("imap: select %q: the server gave no UIDVALIDITY", box)
	}
	s.uidValidity = data.UIDValidity
	uv, last, err := s.in.sink.Checkpoint(ctx, s.in.acct.Name())
	if err != nil {
		return &storeError{fmt.Errorf("checkpoint: %w", err)}
	}
	switch {
	case uv == 0:
		s.last = 0
	case uv == s.uidValidity:
		s.last = imap.UID(last)
	default:
		// The UIDs we knew mean nothing any more: read the whole mailbox
		// again; Take skips what it has by Message-ID and content.
		s.in.log.Warn("imap: UIDVALIDITY changed; taking the whole mailbox in again, the store skips what it already has",
			"old", uv, "new", s.uidValidity, "last_uid", last)
		s.last = 0
	}
	return nil
}

// sweep files the mail still in the mailbox below the checkpoint: what the
// sink took (the gateway stopped between the commit and the move) is moved
// to the processed folder; what it never took (the server gave no body,
// or a crash came between a rejection and its move) is fetched and taken
// again. Only the sink's word, never the checkpoint, makes mail processed.
func (s *session) sweep(ctx context.Context) error {
	retry := s.unmoved > 0
	s.unmoved = 0
	err := s.sweepOnce(ctx, retry)
	if err == nil {
		s.in.settleMoves(s.unmoved)
	}
	return err
}

func (s *session) sweepOnce(ctx context.Context, retry bool) error {
	if s.last == 0 {
		return nil
	}
	uids, err := s.search(imap.UIDRange{Start: 1, Stop: s.last})
	if err != nil {
		return err
	}
	uids = slices.DeleteFunc(uids, func(u imap.UID) bool { return u > s.last })
	if len(uids) == 0 {
		return nil
	}
	taken, untaken, err := s.split(ctx, uids)
	if err != nil {
		return err
	}
	if len(taken) > 0 {
		level := slog.LevelInfo
		if retry {
			level = slog.LevelDebug // the refusal was logged once
		}
		s.in.log.Log(ctx, level, "imap: moving mail taken in before but not yet moved", "count", len(taken), "folder", s.in.cfg.Processed)
	}
	for chunk := range slices.Chunk(taken, 1000) {
		if err := s.move(ctx, chunk, s.in.cfg.Processed); err != nil {
			return err
		}
	}
	if len(untaken) == 0 {
		return nil
	}
	s.in.log.Info("imap: mail below the checkpoint was never taken in; fetching it again", "count", len(untaken))
	last := s.last
	defer func() { s.last = max(s.last, last) }()
	return s.batches(ctx, untaken)
}

// split asks the sink which of uids it took.
func (s *session) split(ctx context.Context, uids []imap.UID) (taken, untaken []imap.UID, err error) {
	asked := make([]uint32, len(uids))
	for i, u := range uids {
		asked[i] = uint32(u)
	}
	got, err := s.in.sink.Taken(ctx, s.in.acct.Name(), s.uidValidity, asked)
	if err != nil {
		return nil, nil, &storeError{fmt.Errorf("taken uids: %w", err)}
	}
	has := make(map[imap.UID]bool, len(got))
	for _, u := range got {
		has[imap.UID(u)] = true
	}
	for _, u := range uids {
		if has[u] {
			taken = append(taken, u)
		} else {
			untaken = append(untaken, u)
		}
	}
	return taken, untaken, nil
}

// search returns the UIDs in r, sorted.
func (s *session) search(r imap.UIDRange) ([]imap.UID, error) {
	var data *imap.SearchData
	err := s.do(func() (err error) {
		data, err = s.c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{{r}}}, nil).Wait()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("imap: uid search: %w", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)
	return uids, nil
}

// catchUp takes in every message above the checkpoint, oldest first, in
// batches, until none is left.
func (s *session) catchUp(ctx context.Context) error {
	for {
		uids, err := s.search(imap.UIDRange{Start: s.last + 1, Stop: 0})
		if err != nil {
			return err
		}
		// "UID n:*" always matches the highest UID, even below n.
		uids = slices.DeleteFunc(uids, func(u imap.UID) bool { return u <= s.last || s.left[u] })
		if len(uids) == 0 {
			return nil
		}
		if err := s.batches(ctx, uids); err != nil {
			return err
		}
	}
}

// wait returns when there may be new mail: at once on IDLE's news, else
// after the poll interval.
func (s *session) wait(ctx context.Context) error {
	if !s.in.noIdle && s.c.Caps().Has(imap.CapIdle) {
		return s.idle(ctx)
	}
	t := time.NewTimer(s.in.cfg.PollInterval) // also the retry of refused moves
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return errClosed
	case <-t.C:
		return nil
	}
}

// idle waits in IDLE for an EXISTS, and re-issues IDLE before the server's
// inactivity timeout.
func (s *session) idle(ctx context.Context) error {
	var cmd *imapclient.IdleCommand
	err := s.do(func() (err error) {
		cmd, err = s.c.Idle()
		return err
	})
	if err != nil {
		return fmt.Errorf("imap: idle: %w", err)
	}
	d := s.in.cfg.IdleRestart
	if s.unmoved > 0 {
		d = min(d, s.in.cfg.PollInterval) // time to retry the refused moves
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return errClosed
	case <-s.newMail:
		s.in.log.Debug("imap: woken by EXISTS")
	case <-t.C:
	}
	err = s.do(func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		return fmt.Errorf("imap: end idle: %w", err)
	}
	return nil
}
