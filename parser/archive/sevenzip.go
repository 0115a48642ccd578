package archive

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/bodgit/sevenzip"
)

// sevenZipMagic starts every 7z archive (7zFormat.txt, SignatureHeader).
var sevenZipMagic = []byte{'7', 'z', 0xBC, 0xAF, 0x27, 0x1C}

// Read7z lists the members of a 7z archive and reads each one that fits
// the limits, trying passwords (DefaultPasswords when none are given) on an
// archive whose names or members are encrypted. Archives inside it are
// listed in turn, down to lim.MaxDepth levels.
func Read7z(data []byte, lim Limits, passwords ...string) (*Listing, error) {
	return newReader(lim, passwords).read7z(data, 0)
}

// sevenZip holds the readers of one archive: one per password tried, as
// bodgit/sevenzip takes the password when the archive is opened.
type sevenZip struct {
	data    []byte
	plain   *sevenzip.Reader
	withPwd map[string]*sevenzip.Reader
}

func (s *sevenZip) withPassword(pw string) *sevenzip.Reader {
	if zr, ok := s.withPwd[pw]; ok {
		return zr
	}
	zr, err := sevenzip.NewReaderWithPassword(bytes.NewReader(s.data), int64(len(s.data)), pw)
	if err != nil {
		zr = nil
	}
	s.withPwd[pw] = zr
	return zr
}

func (r *reader) read7z(data []byte, depth int) (l *Listing, err error) {
	// The library is not hardened: a hostile header must be an error,
	// not a crash of the gateway.
	defer func() {
		if p := recover(); p != nil {
			l, err = nil, fmt.Errorf("archive: reading 7z: the reader failed: %v", p)
		}
	}()
	s := &sevenZip{data: data, withPwd: map[string]*sevenzip.Reader{}}
	zr, err := sevenzip.NewReader(bytes.NewReader(data), int64(len(data)))
	headerPwd := ""
	if err != nil {
		// Encrypted names (7z -mhe=on): only the right password opens it.
		for _, pw := range r.passwords {
			if !r.attempt() {
				break
			}
			if zr = s.withPassword(pw); zr != nil {
				headerPwd = pw
				break
			}
		}
		if zr == nil {
			return nil, fmt.Errorf("archive: reading 7z: %w", err)
		}
	}
	s.plain = zr
	l = &Listing{}
	// In a solid archive, members share a compressed stream: reading one
	// decompresses every member before it. done[stream] is what has been
	// decompressed of each stream, counted against the total like the
	// bytes kept, so that skipping a member is no way around the cap.
	spent := map[int]bool{}
	for i, f := range zr.File {
		if r.entries >= r.lim.MaxEntries {
			l.Truncated = fmt.Sprintf("entry limit %d reached: %d of %d members not listed",
				r.lim.MaxEntries, len(zr.File)-i, len(zr.File))
			break
		}
		r.entries++
		m := Member{
			Name: f.Name, Suspicious: suspicious(f.Name), Dir: f.FileInfo().IsDir(), Modified: f.Modified,
			DeclaredSize: f.UncompressedSize, CRC32: f.CRC32, Depth: depth, Password: headerPwd,
			Encrypted: headerPwd != "",
		}
		if !m.Dir {
			r.read7zMember(s, i, &m, spent)
			r.nest(&m, depth)
		}
		l.Members = append(l.Members, m)
	}
	return l, nil
}

func (r *reader) read7zMember(s *sevenZip, i int, m *Member, spent map[int]bool) {
	f := s.plain.File[i]
	if spent[f.Stream] {
		m.Err = fmt.Sprintf("archive total of %d bytes reached", r.lim.MaxTotalBytes)
		return
	}
	declared := int64(f.UncompressedSize)
	if declared < 0 || r.total+declared > r.lim.MaxTotalBytes {
		spent[f.Stream] = true
		m.Err = fmt.Sprintf("archive total of %d bytes reached", r.lim.MaxTotalBytes)
		return
	}
	if declared > r.lim.MaxMemberBytes {
		// Not kept, but the next member of the stream is decompressed
		// through it: its bytes count.
		r.total += declared
		m.Err = fmt.Sprintf("%v: member larger than %d bytes", errOverCap, r.lim.MaxMemberBytes)
		return
	}
	data, err := r.read7zFile(f, m)
	if err == nil {
		m.Data = data
		return
	}
	var re *sevenzip.ReadError
	if !errors.As(err, &re) || !re.Encrypted {
		if errors.Is(err, errOverCap) {
			m.Err = err.Error()
		} else {
			m.Err = fmt.Sprintf("reading: %v", err)
		}
		return
	}
	m.Encrypted = true
	for _, pw := range r.passwords {
		if !r.attempt() {
			m.Err = fmt.Sprintf("encrypted: more than %d passwords tried in the archive", maxAttempts)
			return
		}
		zr := s.withPassword(pw)
		if zr == nil || i >= len(zr.File) {
			continue
		}
		if r.total+declared > r.lim.MaxTotalBytes {
			m.Err = fmt.Sprintf("encrypted: archive total of %d bytes reached", r.lim.MaxTotalBytes)
			return
		}
		if data, err := r.read7zFile(zr.File[i], m); err == nil {
			m.Data, m.Password, m.Err = data, pw, ""
			return
		}
	}
	m.Err = "encrypted: no known password"
}

// read7zFile reads one member within the caps and checks its CRC-32: a
// wrong AES key inflates garbage, or nothing.
func (r *reader) read7zFile(f *sevenzip.File, m *Member) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	max := r.lim.MaxMemberBytes
	if left := r.lim.MaxTotalBytes - r.total; left < max {
		max = left
	}
	data, err := r.readCapped(rc, m, max)
	if err != nil {
		return nil, err
	}
	if f.CRC32 != 0 && crc32.ChecksumIEEE(data) != f.CRC32 {
		return nil, &sevenzip.ReadError{Encrypted: m.Encrypted, Err: errors.New("checksum error")}
	}
	return data, nil
}
