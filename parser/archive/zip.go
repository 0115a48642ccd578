// Package archive reads zip, 7z and RAR attachments in memory, safely.
//
// Reporters send malware samples zipped, usually encrypted with the password
// "infected"; phishing mails carry their payload in 7z and RAR archives as
// often as in zips. An archive is hostile input: its declared sizes lie, its names may
// climb out of any folder, and a small archive may inflate to gigabytes. This
// package therefore never writes anything to disk, treats member names as
// data, never trusts a declared size, and caps the entries, the bytes of each
// member, the bytes of the whole archive and the depth of archives in archives.
package archive

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Defaults for the zero fields of Limits.
const (
	DefaultMaxEntries     = 1000
	DefaultMaxMemberBytes = 32 << 20
	DefaultMaxTotalBytes  = 64 << 20
	DefaultMaxDepth       = 2
)

// DefaultPasswords are the passwords tried on encrypted members when the
// caller gives none: the ones malware exchanges conventionally use.
var DefaultPasswords = []string{"infected", "malware", "virus"}

// Limits bound the work ReadZip does. A zero field takes its default.
type Limits struct {
	// MaxEntries is the number of members listed, over all nesting levels.
	MaxEntries int
	// MaxMemberBytes is the most bytes inflated from one member.
	MaxMemberBytes int64
	// MaxTotalBytes is the most bytes inflated from the archive, nested
	// archives and attempts with wrong passwords included.
	MaxTotalBytes int64
	// MaxDepth is the number of levels of zip in zip that are opened below
	// the top archive; a negative value opens none.
	MaxDepth int
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxMemberBytes <= 0 {
		l.MaxMemberBytes = DefaultMaxMemberBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxDepth == 0 {
		l.MaxDepth = DefaultMaxDepth
	} else if l.MaxDepth < 0 {
		l.MaxDepth = 0
	}
	return l
}

// Listing is what ReadZip found in one archive.
type Listing struct {
	Members []Member
	// Truncated says why members were left out of the listing; it is empty
	// when every member is listed.
	Truncated string
}

// Member is one entry of an archive. Its Name is kept exactly as the archive
// gives it: it is data, never a path to write to.
type Member struct {
	Name string
	// Suspicious says why Name would be dangerous as a path ("absolute path",
	// "parent directory"...); it is empty for an ordinary name.
	Suspicious string
	Dir        bool
	Modified   time.Time
	// Method is the compression method (APPNOTE 4.4.5): 0 stored, 8 deflated,
	// 99 WinZip AES.
	Method uint16
	// DeclaredSize and CompressedSize are what the archive claims.
	DeclaredSize   uint64
	CompressedSize uint64
	// Size is the number of bytes actually inflated: the whole member when
	// Data is set; when a cap refused the member, what was read before it.
	Size  int64
	CRC32 uint32
	// Encrypted is set for a member with the encryption flag or AES; Password
	// is the one that decrypted it.
	Encrypted bool
	Password  string
	// Data is the member's content, when it was read in full.
	Data []byte
	// Err says why Data is not set (or, for a nested zip, why Nested is not).
	Err string
	// Depth is 0 for members of the archive given to ReadZip, 1 for members
	// of a zip inside it, and so on.
	Depth int
	// Nested is the listing of a member that is itself a zip.
	Nested *Listing
}

// ReadZip lists the members of the zip archive data and reads each one that
// fits the limits, trying passwords (DefaultPasswords when none are given) on
// members encrypted with traditional PKWARE encryption. Zips inside the
// archive are listed in turn, down to lim.MaxDepth levels.
//
// The error is non-nil only when data is not a readable zip at all; a member
// that cannot be read has its reason in Member.Err.
func ReadZip(data []byte, lim Limits, passwords ...string) (*Listing, error) {
	return newReader(lim, passwords).read(data, 0)
}

func newReader(lim Limits, passwords []string) *reader {
	if len(passwords) == 0 {
		passwords = DefaultPasswords
	}
	return &reader{lim: lim.withDefaults(), passwords: passwords}
}

// reader carries the budget shared by an archive and the archives inside it.
type reader struct {
	lim       Limits
	passwords []string
	entries   int   // members listed so far
	total     int64 // bytes inflated so far
	// attempts counts the passwords tried on 7z and RAR members: each
	// costs a key derivation that the archive may make as slow as 2^24
	// rounds of SHA-256.
	attempts int
}

// maxAttempts bounds the passwords tried in one archive, 7z and RAR.
const maxAttempts = 24

func (r *reader) attempt() bool {
	r.attempts++
	return r.attempts <= maxAttempts
}

func (r *reader) read(data []byte, depth int) (*Listing, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	// ErrInsecurePath comes with a usable reader: names are reported as
	// suspicious instead.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("archive: reading zip: %w", err)
	}
	l := &Listing{}
	for i, f := range zr.File {
		if r.entries >= r.lim.MaxEntries {
			l.Truncated = fmt.Sprintf("entry limit %d reached: %d of %d members not listed",
				r.lim.MaxEntries, len(zr.File)-i, len(zr.File))
			break
		}
		r.entries++
		l.Members = append(l.Members, r.member(f, depth))
	}
	return l, nil
}

func (r *reader) member(f *zip.File, depth int) Member {
	m := Member{
		Name:           f.Name,
		Suspicious:     suspicious(f.Name),
		Dir:            f.Mode().IsDir(),
		Modified:       f.Modified,
		Method:         f.Method,
		DeclaredSize:   f.UncompressedSize64,
		CompressedSize: f.CompressedSize64,
		CRC32:          f.CRC32,
		Encrypted:      f.Flags&flagEncrypted != 0 || f.Method == methodAES,
		Depth:          depth,
	}
	if m.Dir {
		return m
	}
	r.readData(f, &m)
	r.nest(&m, depth)
	return m
}

// Flags and methods of APPNOTE.TXT 4.4.4 and 4.4.5.
const (
	flagEncrypted       = 0x1
	flagDataDescriptor  = 0x8
	flagStrongEncrypted = 0x40
	methodAES           = 99
)

// isZip reports whether data starts like a zip: a local file header, or the
// end of central directory record of an empty archive (APPNOTE 4.3.7, 4.3.16).
func isZip(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06"))
}
