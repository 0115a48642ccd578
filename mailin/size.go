package mailin

import (
	"context"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
)

// sizes asks the server for the RFC822.SIZE of each of uids: a light FETCH
// (RFC 3501 section 6.4.5), so that the FETCH of bodies can be bounded in
// bytes before any body is read. A UID missing from the answer was
// expunged meanwhile; it has no entry.
func (s *session) sizes(uids []imap.UID) (map[imap.UID]int64, error) {
	sizes := make(map[imap.UID]int64, len(uids))
	if len(uids) == 0 {
		return sizes, nil
	}
	opts := &imap.FetchOptions{UID: true, RFC822Size: true}
	err := s.guard(func(kick func()) error {
		cmd := s.c.Fetch(imap.UIDSetNum(uids...), opts)
		defer cmd.Close()
		for m := cmd.Next(); m != nil; m = cmd.Next() {
			kick()
			buf, err := m.Collect()
			if err != nil {
				return err
			}
			if buf.UID != 0 {
				sizes[buf.UID] = buf.RFC822Size
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("imap: fetch the sizes of %d messages: %w", len(uids), err)
	}
	return sizes, nil
}

// groups cuts uids, in order, into FETCH batches of at most count messages
// and maxBytes bytes by sizes; a message larger than maxBytes is a batch
// of its own. A UID of unknown size counts as empty: it is gone, and its
// FETCH brings nothing.
func groups(uids []imap.UID, sizes map[imap.UID]int64, count int, maxBytes int64) [][]imap.UID {
	var out [][]imap.UID
	var cur []imap.UID
	var bytes int64
	for _, u := range uids {
		n := sizes[u]
		if len(cur) > 0 && (len(cur) == count || bytes+n > maxBytes) {
			out = append(out, cur)
			cur, bytes = nil, 0
		}
		cur = append(cur, u)
		bytes += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// batches takes in uids, in order, in batches bounded by count and bytes.
func (s *session) batches(ctx context.Context, uids []imap.UID) error {
	// The light FETCH is itself cut, so that its answer stays small too.
	for chunk := range slices.Chunk(uids, 5000) {
		sizes, err := s.sizes(chunk)
		if err != nil {
			return err
		}
		if err := s.takeGroups(ctx, groups(chunk, sizes, s.in.cfg.BatchSize, s.in.cfg.BatchBytes), sizes); err != nil {
			return err
		}
	}
	return nil
}
