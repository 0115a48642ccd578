package mailin

import (
	"fmt"
	"io"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// fetch reads the messages of uids, sorted by UID. A UID the server answers
// without its body is fetched again alone; if it still comes without one, it
// is left out, logged and counted, and left in the mailbox: the sweep files
// as processed only what the sink says it took, so it is retried at the
// next session. A UID gone from the mailbox was expunged meanwhile.
func (s *session) fetch(uids []imap.UID) ([]fetched, error) {
	msgs, err := s.fetchSet(uids)
	if err != nil {
		return nil, err
	}
	if len(msgs) == len(uids) {
		return msgs, nil
	}
	got := make(map[imap.UID]bool, len(msgs))
	for _, m := range msgs {
		got[m.uid] = true
	}
	for _, u := range uids {
		if got[u] {
			continue
		}
		// Alone: some servers give up on a whole batch's bodies under load
		// or on one broken message file.
		again, err := s.fetchSet([]imap.UID{u})
		if err != nil {
			return nil, err
		}
		if len(again) == 1 {
			msgs = append(msgs, again[0])
			continue
		}
		there, err := s.search(imap.UIDRange{Start: u, Stop: u})
		if err != nil {
			return nil, err
		}
		if !slices.Contains(there, u) {
			s.in.log.Debug("imap: message expunged before it was fetched", "uid", u)
			continue
		}
		s.left[u] = true
		s.in.m.bodyless.Inc()
		s.in.log.Warn("imap: the server answered a message's FETCH without a body, twice; leaving it in the mailbox, to be fetched again at the next session",
			"uid", u, "uidvalidity", s.uidValidity)
	}
	slices.SortFunc(msgs, func(a, b fetched) int { return int(a.uid) - int(b.uid) })
	return msgs, nil
}

// fetchSet reads those messages of uids that the server gives with a body,
// sorted by UID. BODY.PEEK[] leaves \Seen alone; nothing else is asked for,
// as a server's malformed BODYSTRUCTURE or ENVELOPE would close the
// connection.
func (s *session) fetchSet(uids []imap.UID) ([]fetched, error) {
	opts := &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}
	var msgs []fetched
	err := s.guard(func(kick func()) error {
		cmd := s.c.Fetch(imap.UIDSetNum(uids...), opts)
		defer cmd.Close()
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			kick()
			f, err := readFetched(m)
			if err != nil {
				return err
			}
			if f.uid == 0 || f.raw == nil {
				continue // a flag update, or a message without its body
			}
			s.in.m.fetchedBytes.Add(float64(len(f.raw)))
			msgs = append(msgs, f)
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("imap: fetch %d messages: %w", len(uids), err)
	}
	// Servers may answer in any order; the checkpoint needs UID order.
	slices.SortFunc(msgs, func(a, b fetched) int { return int(a.uid) - int(b.uid) })
	return slices.CompactFunc(msgs, func(a, b fetched) bool { return a.uid == b.uid }), nil
}

// maxPrealloc is the largest literal read into a buffer of its announced
// size; past it (a server's lie would cost that much memory at once) the
// buffer grows as the bytes come.
const maxPrealloc = 1 << 30

// readFetched reads one message's FETCH answer: its UID and its body, the
// body read straight into one buffer of the literal's size, where
// Collect's io.ReadAll would hold up to two growing copies of a large mail.
func readFetched(m *imapclient.FetchMessageData) (fetched, error) {
	var f fetched
	for item := m.Next(); item != nil; item = m.Next() {
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			f.uid = it.UID
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil {
				continue // NIL: no body
			}
			var err error
			if n := it.Literal.Size(); n >= 0 && n <= maxPrealloc {
				f.raw = make([]byte, n)
				_, err = io.ReadFull(it.Literal, f.raw)
			} else {
				f.raw, err = io.ReadAll(it.Literal)
			}
			if err != nil {
				return f, fmt.Errorf("read the body of a message: %w", err)
			}
		}
	}
	return f, nil
}
