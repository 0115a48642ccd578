package mailin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
)

// fetched is one message of a batch.
type fetched struct {
	uid imap.UID
	raw []byte
}

// batch fetches the messages of uids and takes them in (see settle).
func (s *session) batch(ctx context.Context, uids []imap.UID) error {
	msgs, err := s.fetch(uids)
	if err != nil {
		return err
	}
	var errs []error
	if len(msgs) > 0 {
		errs = s.takeAll(ctx, msgs)
	}
	return s.settle(ctx, msgs, errs)
}

// settle hands msgs to the sink in UID order, errs being the results of
// a first takeAll of them. Taken ones are moved to the processed folder at
// the end, rejected ones to the failed folder at once. A temporary error
// of the sink stops: the message stays where it is, with every later one,
// since taking a later one would move the checkpoint past it.
func (s *session) settle(ctx context.Context, msgs []fetched, errs []error) error {
	var taken []imap.UID
	for len(msgs) > 0 {
		for i, err := range errs {
			m := msgs[i]
			var rej *RejectError
			switch {
			case err == nil:
				taken = append(taken, m.uid)
				s.last = m.uid
			case errors.As(err, &rej):
				s.in.m.rejected.Inc()
				s.in.log.Warn("imap: the store refused a message; moving it to the failed folder",
					"uid", m.uid, "uidvalidity", s.uidValidity, "reason", rej.Reason, "folder", s.in.cfg.Failed)
				// Before any later Take: a crash must not leave it below the
				// checkpoint, where the sweep would file it as processed.
				if err := s.move(ctx, []imap.UID{m.uid}, s.in.cfg.Failed); err != nil {
					return errors.Join(err, s.move(ctx, taken, s.in.cfg.Processed))
				}
			default:
				s.in.m.takeErrors.Inc()
				err = &storeError{fmt.Errorf("take uid %d: %w", m.uid, err)}
				return errors.Join(err, s.move(ctx, taken, s.in.cfg.Processed))
			}
		}
		msgs = msgs[len(errs):]
		if len(msgs) > 0 {
			errs = s.takeAll(ctx, msgs)
		}
	}
	return s.move(ctx, taken, s.in.cfg.Processed)
}

// allTaken reports whether errs are the results of every one of n mails,
// all taken.
func allTaken(errs []error, n int) bool {
	if len(errs) != n {
		return false
	}
	for _, err := range errs {
		if err != nil {
			return false
		}
	}
	return true
}

// takeAll hands msgs to the sink and returns the results of a prefix of
// them, in UID order: all nil but perhaps the last, which is a rejection or
// a temporary error. A BatchSink takes them in group commits, parsed on
// every core; any other sink one Take at a time.
func (s *session) takeAll(ctx context.Context, msgs []fetched) []error {
	bs, ok := s.in.sink.(BatchSink)
	if !ok {
		for i, m := range msgs {
			if err := s.take(ctx, m); err != nil {
				errs := make([]error, i+1)
				errs[i] = err
				return errs
			}
		}
		return make([]error, len(msgs))
	}
	start := time.Now()
	return s.results(msgs, bs.TakeBatch(ctx, s.mails(msgs)), start)
}

// mails are msgs as a BatchSink takes them.
func (s *session) mails(msgs []fetched) []Mail {
	mails := make([]Mail, len(msgs))
	for i, m := range msgs {
		mails[i] = Mail{Raw: m.raw, Origin: s.origin(m)}
	}
	return mails
}

// results checks and counts what a BatchSink gave for msgs, taken since
// start.
func (s *session) results(msgs []fetched, errs []error, start time.Time) []error {
	if len(errs) == 0 || len(errs) > len(msgs) {
		// A sink that breaks its contract takes nothing for sure.
		return []error{fmt.Errorf("imap: the sink gave %d results for %d mails", len(errs), len(msgs))}
	}
	each := time.Since(start).Seconds() / float64(len(errs))
	for i, err := range errs {
		s.in.m.takeSeconds.Observe(each)
		if err == nil {
			s.taken(msgs[i])
		}
	}
	return errs
}

func (s *session) origin(m fetched) Origin {
	return Origin{Mailbox: s.in.acct.Name(), UIDValidity: s.uidValidity, UID: uint32(m.uid)}
}

func (s *session) taken(m fetched) {
	s.in.progressed = true
	s.in.m.taken.Inc()
	s.in.log.Debug("imap: taken in", "uid", m.uid, "size", len(m.raw))
}

func (s *session) take(ctx context.Context, m fetched) error {
	start := time.Now()
	err := s.in.sink.Take(ctx, m.raw, s.origin(m))
	s.in.m.takeSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		s.taken(m)
	}
	return err
}
