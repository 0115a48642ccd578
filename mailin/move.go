package mailin

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// move moves the messages of uids to folder (see moveTo). A server that
// refuses (a NO: over quota, no permission on the folder) does not end the
// session, or new mail would wait behind mail already taken: the messages
// stay where they are, counted in Status.Unmoved, and the sweep tries them
// again each poll interval. Only the connection's errors are returned.
func (s *session) move(ctx context.Context, uids []imap.UID, folder string) error {
	err := s.moveTo(ctx, uids, folder)
	if err == nil || !refused(err) {
		return err
	}
	s.unmoved += len(uids)
	s.in.m.moveFailures.Add(float64(len(uids)))
	if s.in.refusedMoves(s.unmoved, err) {
		s.in.log.Warn("imap: the server refused to move mail out of the mailbox; taking new mail in all the same, the move is retried each poll interval",
			"folder", folder, "count", len(uids), "err", err, "retry_every", s.in.cfg.PollInterval)
	} else {
		s.in.log.Debug("imap: the server still refuses the move", "folder", folder, "count", len(uids), "err", err)
	}
	return nil
}

// refused reports whether err is the server's NO to a command, rather
// than a failure of the connection.
func refused(err error) bool {
	var ierr *imap.Error
	return errors.As(err, &ierr) && ierr.Type == imap.StatusResponseTypeNo
}

// moveTo moves the messages of uids to folder: UID MOVE where the server
// has it, else COPY, and only once COPY succeeded, \Deleted and UID
// EXPUNGE. A missing folder is created.
func (s *session) moveTo(ctx context.Context, uids []imap.UID, folder string) error {
	if len(uids) == 0 {
		return nil // an empty UID set makes the client drop the connection
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	set := imap.UIDSetNum(uids...)
	err := s.moveSet(set, folder)
	if isCode(err, imap.ResponseCodeTryCreate) {
		if err = s.create(folder); err == nil {
			err = s.moveSet(set, folder)
		}
	}
	if err != nil {
		return fmt.Errorf("imap: move %d messages to %q: %w", len(uids), folder, err)
	}
	s.in.m.moved.Add(float64(len(uids)))
	return nil
}

func (s *session) moveSet(set imap.UIDSet, folder string) error {
	if !s.in.noMove && s.c.Caps().Has(imap.CapMove) {
		return s.do(func() error {
			_, err := s.c.Move(set, folder).Wait()
			return err
		})
	}
	// The client's own fallback sends COPY, STORE and EXPUNGE without
	// waiting for COPY, and so expunges even when COPY failed.
	err := s.do(func() error {
		_, err := s.c.Copy(set, folder).Wait()
		return err
	})
	if err != nil {
		return err
	}
	flags := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := s.do(func() error { return s.c.Store(set, flags, nil).Close() }); err != nil {
		return fmt.Errorf("flag copied messages deleted: %w", err)
	}
	if s.c.Caps().Has(imap.CapUIDPlus) {
		return s.do(func() error { return s.c.UIDExpunge(set).Close() })
	}
	// Without UIDPLUS, EXPUNGE removes every \Deleted message of the
	// mailbox, not only ours: acceptable in a mailbox the gateway owns.
	return s.do(func() error { return s.c.Expunge().Close() })
}

// ensureFolder creates folder unless it exists.
func (s *session) ensureFolder(folder string) error {
	var found bool
	err := s.do(func() error {
		boxes, err := s.c.List("", folder, nil).Collect()
		for _, b := range boxes {
			found = found || b.Mailbox == folder
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("imap: list %q: %w", folder, err)
	}
	if found {
		return nil
	}
	return s.create(folder)
}

func (s *session) create(folder string) error {
	err := s.do(func() error { return s.c.Create(folder, nil).Wait() })
	if isCode(err, imap.ResponseCodeAlreadyExists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("imap: create folder %q: %w", folder, err)
	}
	s.in.log.Info("imap: created folder", "folder", folder)
	return nil
}

func isCode(err error, code imap.ResponseCode) bool {
	var ierr *imap.Error
	return errors.As(err, &ierr) && ierr.Code == code
}
