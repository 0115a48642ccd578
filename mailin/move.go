package mailin

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// move moves the messages of uids to folder: UID MOVE where the server has
// it, else COPY, and only once COPY succeeded, \Deleted and UID EXPUNGE. A
// missing folder is created.
func (s *session) move(ctx context.Context, uids []imap.UID, folder string) error {
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
