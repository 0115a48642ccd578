package mailin

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// recover reads, once per UIDVALIDITY of the mailbox in the life of the
// Intake (the process), which UIDs were in hand when the last process
// died, counting that death.
func (s *session) recover(ctx context.Context) error {
	in := s.in
	if in.suspects != nil && in.suspectsUV == s.uidValidity {
		return nil
	}
	crashes, err := in.sink.Recover(ctx, in.acct.Name(), s.uidValidity)
	if err != nil {
		return &storeError{fmt.Errorf("recover the mail in hand at the last crash: %w", err)}
	}
	in.suspects, in.suspectsUV = map[imap.UID]int{}, s.uidValidity
	for u, n := range crashes {
		in.suspects[imap.UID(u)] = n
	}
	if len(crashes) > 0 {
		in.log.Warn("imap: the gateway died with mail in hand; taking those mails one at a time",
			"count", len(crashes), "uidvalidity", s.uidValidity)
	}
	return nil
}

// part is a piece of a FETCH batch cut by cut: a run of mails, or one
// suspect alone with its crashes in a row.
type part struct {
	uids    []imap.UID
	crashes int // 0 for a run
}

// cut cuts a FETCH batch so that each suspect (in hand at an earlier
// crash) is a part of its own, between runs of the other mails.
func (s *session) cut(uids []imap.UID) []part {
	var out []part
	var run []imap.UID
	for _, u := range uids {
		n, suspect := s.in.suspects[u]
		if !suspect {
			run = append(run, u)
			continue
		}
		if len(run) > 0 {
			out = append(out, part{uids: run})
			run = nil
		}
		out = append(out, part{uids: []imap.UID{u}, crashes: n})
	}
	if len(run) > 0 {
		out = append(out, part{uids: run})
	}
	return out
}

// alone takes in a suspect, with nothing else in hand: at PoisonCrashes
// crashes it is poison.
func (s *session) alone(ctx context.Context, p part) error {
	if p.crashes >= PoisonCrashes {
		return s.poison(ctx, p.uids[0], p.crashes)
	}
	return s.held(ctx, p.uids)
}

// held runs batch on uids between Hold and Release.
func (s *session) held(ctx context.Context, uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	if err := s.in.releaseLeft(ctx); err != nil {
		return err
	}
	if err := s.hold(ctx, uids); err != nil {
		return err
	}
	return errors.Join(s.batch(ctx, uids), s.release(ctx, uids))
}

func (s *session) hold(ctx context.Context, uids []imap.UID) error {
	if err := s.in.sink.Hold(ctx, s.in.acct.Name(), s.uidValidity, uint32s(uids)); err != nil {
		// As a failed Take: a store error, the mail left for a retry.
		s.in.m.takeErrors.Inc()
		return &storeError{fmt.Errorf("record %d mails in hand: %w", len(uids), err)}
	}
	return nil
}

// release ends the record, even while stopping: a clean stop is no crash.
// What the store could not release (it is down) is kept to be released
// at the next try, or when Run returns, lest a clean restart count it as
// a crash.
func (s *session) release(ctx context.Context, uids []imap.UID) error {
	in := s.in
	if err := in.sink.Release(context.WithoutCancel(ctx), in.acct.Name(), s.uidValidity, uint32s(uids)); err != nil {
		if in.unreleasedUV != s.uidValidity {
			in.unreleased, in.unreleasedUV = nil, s.uidValidity
		}
		in.unreleased = append(in.unreleased, uids...)
		return &storeError{fmt.Errorf("record %d mails out of hand: %w", len(uids), err)}
	}
	for _, u := range uids {
		delete(in.suspects, u)
	}
	return nil
}

// releaseLeft retries the releases the store failed.
func (in *Intake) releaseLeft(ctx context.Context) error {
	if len(in.unreleased) == 0 {
		return nil
	}
	if err := in.sink.Release(context.WithoutCancel(ctx), in.acct.Name(), in.unreleasedUV, uint32s(in.unreleased)); err != nil {
		return &storeError{fmt.Errorf("record %d mails out of hand: %w", len(in.unreleased), err)}
	}
	in.unreleased = nil
	return nil
}

// poison files the mail u, in hand at n crashes in a row, without taking
// it: its bytes and a ticket saying why go to the sink, the mail to the
// failed folder. Past PoisonCrashes the fetch itself is what killed the
// process: the ticket goes without the bytes.
func (s *session) poison(ctx context.Context, u imap.UID, n int) error {
	if err := s.hold(ctx, []imap.UID{u}); err != nil {
		return err
	}
	var raw []byte
	if n == PoisonCrashes {
		msgs, err := s.fetchSet([]imap.UID{u})
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			// Gone or bodyless: nothing to file; fetch tells which.
			_, err := s.fetch([]imap.UID{u})
			return errors.Join(err, s.release(ctx, []imap.UID{u}))
		}
		raw = msgs[0].raw
	}
	reason := fmt.Sprintf("the gateway died %d times in a row with this mail in hand (out of memory, or a crash in a library)", n)
	if n > PoisonCrashes {
		reason = fmt.Sprintf("the gateway died %d times in a row with this mail in hand, the last while fetching it to set it aside", n)
	}
	origin := Origin{Mailbox: s.in.acct.Name(), UIDValidity: s.uidValidity, UID: uint32(u)}
	if err := s.in.sink.Poison(ctx, raw, origin, reason); err != nil {
		return &storeError{fmt.Errorf("set poison mail uid %d aside: %w", u, err)}
	}
	s.in.m.poisoned.Inc()
	s.in.log.Error("imap: a mail killed the gateway; moved to the failed folder with a ticket, unparsed",
		"uid", u, "uidvalidity", s.uidValidity, "crashes", n, "size", len(raw), "folder", s.in.cfg.Failed)
	s.last = max(s.last, u)
	if err := s.move(ctx, []imap.UID{u}, s.in.cfg.Failed); err != nil {
		return err
	}
	return s.release(ctx, []imap.UID{u})
}

func uint32s(uids []imap.UID) []uint32 {
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = uint32(u)
	}
	return out
}
