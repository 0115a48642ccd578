package archive

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nwaples/rardecode/v2"
)

// RAR signatures: RAR 1.5 to 4.x, and RAR 5.0 (rarlab's technote).
var (
	rar4Magic = []byte("Rar!\x1a\x07\x00")
	rar5Magic = []byte("Rar!\x1a\x07\x01\x00")
)

// maxRarDictionary bounds the window rardecode allocates: it trusts the
// size a header declares, up to 4 GiB by default. WinRAR writes 32 MiB
// unless told otherwise.
const maxRarDictionary = 64 << 20

// ReadRar lists the members of a RAR archive (versions 1.5 to 5) and reads
// each one that fits the limits, trying passwords (DefaultPasswords when
// none are given) on encrypted members and encrypted headers. Archives
// inside it are listed in turn, down to lim.MaxDepth levels.
func ReadRar(data []byte, lim Limits, passwords ...string) (*Listing, error) {
	return newReader(lim, passwords).readRar(data, 0)
}

func openRar(data []byte, pw *string) (*rardecode.Reader, error) {
	opts := []rardecode.Option{rardecode.MaxDictionarySize(maxRarDictionary)}
	if pw != nil {
		opts = append(opts, rardecode.Password(*pw))
	}
	return rardecode.NewReader(bytes.NewReader(data), opts...)
}

func (r *reader) readRar(data []byte, depth int) (l *Listing, err error) {
	defer func() {
		if p := recover(); p != nil {
			l, err = nil, fmt.Errorf("archive: reading rar: the reader failed: %v", p)
		}
	}()
	l = &Listing{}
	// The first pass reads what needs no password; each further pass,
	// with one password, the encrypted members still unread. A RAR is
	// read from start to end: there is no opening one member alone.
	pending, err := r.rarPass(data, nil, l, depth, nil)
	if err != nil && !errors.Is(err, rardecode.ErrArchiveEncrypted) {
		if len(l.Members) == 0 {
			return nil, fmt.Errorf("archive: reading rar: %w", err)
		}
		l.Truncated = fmt.Sprintf("reading stopped: %v", err)
		return l, nil
	}
	headersEncrypted := errors.Is(err, rardecode.ErrArchiveEncrypted) && len(l.Members) == 0
	if !headersEncrypted && len(pending) == 0 {
		return l, nil
	}
	for _, pw := range r.passwords {
		pw := pw
		if !r.attempt() {
			break
		}
		if headersEncrypted {
			if _, err := r.rarPass(data, &pw, l, depth, nil); err == nil || len(l.Members) > 0 {
				for i := range l.Members {
					l.Members[i].Encrypted = true
					if l.Members[i].Password == "" {
						l.Members[i].Password = pw
					}
				}
				return l, nil
			}
			continue
		}
		left, _ := r.rarPass(data, &pw, l, depth, pending)
		pending = left
		if len(pending) == 0 {
			break
		}
	}
	if headersEncrypted {
		return nil, fmt.Errorf("archive: reading rar: %w: no known password", rardecode.ErrArchiveEncrypted)
	}
	for i := range pending {
		if m := &l.Members[i]; !strings.Contains(m.Err, errOverCap.Error()) {
			m.Err = "encrypted: no known password"
		}
	}
	return l, nil
}

// rarPass reads the archive once. With want nil it lists every member into
// l and returns the indexes of the encrypted ones it could not read; with
// want set it reads only those members, with password pw, and returns the
// ones still unread.
func (r *reader) rarPass(data []byte, pw *string, l *Listing, depth int, want map[int]bool) (map[int]bool, error) {
	rr, err := openRar(data, pw)
	if err != nil {
		return want, err
	}
	pending := map[int]bool{}
	for i := 0; ; i++ {
		h, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if want != nil {
				for k := range want {
					pending[k] = true
				}
			}
			return pending, err
		}
		if want == nil {
			if r.entries >= r.lim.MaxEntries {
				l.Truncated = fmt.Sprintf("entry limit %d reached: the rest not listed", r.lim.MaxEntries)
				break
			}
			r.entries++
			m := Member{
				Name: h.Name, Suspicious: suspicious(h.Name), Dir: h.IsDir, Modified: h.ModificationTime,
				DeclaredSize: uint64(max(h.UnPackedSize, 0)), CompressedSize: uint64(max(h.PackedSize, 0)),
				Encrypted: h.Encrypted, Depth: depth,
			}
			if pw != nil {
				m.Password = *pw
			}
			l.Members = append(l.Members, m)
			if m.Dir {
				continue
			}
			if h.Encrypted && pw == nil {
				m := &l.Members[len(l.Members)-1]
				m.Err = "encrypted"
				pending[len(l.Members)-1] = true
				r.rarSkip(h)
				continue
			}
		} else if !want[i] {
			r.rarSkip(h)
			continue
		}
		if i >= len(l.Members) {
			break
		}
		m := &l.Members[i]
		if !r.rarRead(rr, h, m) && want != nil {
			pending[i] = true
			continue
		}
		if pw != nil && m.Data != nil {
			m.Password = *pw
		}
		r.nest(m, depth)
	}
	return pending, nil
}

// rarSkip counts a member that is not read: in a solid archive the next
// member is decompressed through it.
func (r *reader) rarSkip(h *rardecode.FileHeader) {
	if h.Solid {
		r.total += rarSize(h, r.lim.MaxMemberBytes)
	}
}

func rarSize(h *rardecode.FileHeader, unknown int64) int64 {
	if h.UnKnownSize || h.UnPackedSize < 0 {
		return unknown
	}
	return h.UnPackedSize
}

// rarRead reads the current member into m; rardecode checks its checksum
// at the end, which is how a wrong password without a check value shows.
func (r *reader) rarRead(rr *rardecode.Reader, h *rardecode.FileHeader, m *Member) bool {
	max := r.lim.MaxMemberBytes
	if left := r.lim.MaxTotalBytes - r.total; left < max {
		max = left
	}
	if max < 0 {
		max = 0
	}
	data, err := r.readCapped(rr, m, max)
	if err != nil {
		if !errors.Is(err, errOverCap) {
			err = fmt.Errorf("reading: %w", err)
		}
		m.Err = err.Error()
		return false
	}
	m.Data, m.Err = data, ""
	return true
}
