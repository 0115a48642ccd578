package mailin

import (
	"context"
	"errors"
	"time"

	"github.com/emersion/go-imap/v2"
)

// inHand is a run of mails recorded in hand and fetched, whose take runs
// in the background once started.
type inHand struct {
	uids  []imap.UID
	msgs  []fetched
	bytes int64
	errs  chan []error // the first takeAll's results
	// begun is the run's parsing, begun at its FETCH when the sink is a
	// BeginSink, so that it overlaps the commits of the run before.
	begun Begun
}

// takeGroups takes in FETCH batches, in order, with the FETCH of the next
// run overlapping the take (parse and commit) of the current one, so that
// neither the server nor the sink waits on the other. The rules of a
// single batch hold for the one fetched ahead: it is recorded in hand
// before its FETCH, so a crash counts it as in hand (and a mail that kills
// the fetch is found); its take starts only once every mail before it is
// settled, or at once when they were all taken, as a refused mail must be
// in the failed folder before a later mail commits; and nothing is moved
// before its take returned. At most two runs are in hand, and their bytes
// together stay within BatchBytes (a run larger than that is alone), so
// the memory bound of a catch-up holds. A suspect is taken with nothing
// else in hand, or its crash would make suspects of the innocent.
func (s *session) takeGroups(ctx context.Context, batches [][]imap.UID, sizes map[imap.UID]int64) error {
	var cur *inHand
	for _, b := range batches {
		for _, p := range s.cut(b) {
			if p.crashes > 0 {
				if err := s.settleHand(ctx, cur, nil); err != nil {
					return err
				}
				cur = nil
				if err := s.alone(ctx, p); err != nil {
					return err
				}
				continue
			}
			var bytes int64
			for _, u := range p.uids {
				bytes += sizes[u]
			}
			if cur != nil && cur.bytes+bytes > s.in.cfg.BatchBytes {
				if err := s.settleHand(ctx, cur, nil); err != nil {
					return err
				}
				cur = nil
			}
			next, err := s.grab(ctx, p.uids, bytes)
			if err != nil {
				return errors.Join(err, s.settleHand(ctx, cur, nil))
			}
			if err := s.settleHand(ctx, cur, next); err != nil {
				return err
			}
			cur = next
		}
	}
	return s.settleHand(ctx, cur, nil)
}

// grab records uids in hand and fetches them.
func (s *session) grab(ctx context.Context, uids []imap.UID, bytes int64) (*inHand, error) {
	if err := s.in.releaseLeft(ctx); err != nil {
		return nil, err
	}
	if err := s.hold(ctx, uids); err != nil {
		return nil, err
	}
	msgs, err := s.fetch(uids)
	if err != nil {
		return nil, errors.Join(err, s.release(ctx, uids))
	}
	h := &inHand{uids: uids, msgs: msgs, bytes: bytes}
	if bs, ok := s.in.sink.(BeginSink); ok && len(msgs) > 0 {
		h.begun = bs.Begin(ctx, s.mails(msgs))
	}
	return h, nil
}

// start begins the take of h in the background.
func (s *session) start(ctx context.Context, h *inHand) {
	h.errs = make(chan []error, 1)
	if len(h.msgs) == 0 {
		h.errs <- nil
		return
	}
	if h.begun == nil {
		go func() { h.errs <- s.takeAll(ctx, h.msgs) }()
		return
	}
	go func() {
		start := time.Now()
		h.errs <- s.results(h.msgs, h.begun.Take(ctx), start)
	}()
}

// drop releases h, never started, abandoning what was begun of it.
func (s *session) drop(ctx context.Context, h *inHand) error {
	if h.begun != nil {
		h.begun.Abandon()
	}
	return s.release(ctx, h.uids)
}

// settleHand waits for the take of h, starts that of next (nil when none)
// as soon as the rules allow, then files h's mails and releases them. On
// an error next is not started; it is released. A nil h starts next.
func (s *session) settleHand(ctx context.Context, h, next *inHand) error {
	if h == nil {
		if next != nil {
			s.start(ctx, next)
		}
		return nil
	}
	if h.errs == nil {
		s.start(ctx, h) // never started: start it now
	}
	errs := <-h.errs
	started := false
	if next != nil && allTaken(errs, len(h.msgs)) {
		// Every mail before next is committed: nothing of h can be
		// refused any more, so next's commits may start before h's move.
		s.start(ctx, next)
		started = true
	}
	err := errors.Join(s.settle(ctx, h.msgs, errs), s.release(ctx, h.uids))
	switch {
	case err != nil && started:
		// next's take runs: wait for it, and leave its mails for the
		// sweep of the next session, which moves what it committed.
		<-next.errs
		return errors.Join(err, s.release(ctx, next.uids))
	case err != nil && next != nil:
		return errors.Join(err, s.drop(ctx, next))
	case err != nil:
		return err
	case next != nil && !started:
		s.start(ctx, next)
	}
	return nil
}
