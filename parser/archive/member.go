package archive

import (
	"archive/zip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// readData fills m.Data, m.Size and m.Password, or m.Err with the reason the
// member was not read.
func (r *reader) readData(f *zip.File, m *Member) {
	if f.Flags&flagStrongEncrypted != 0 {
		m.Err = "strong encryption not supported"
		return
	}
	if f.Method == methodAES {
		m.Err = "aes not supported"
		return
	}
	max := r.lim.MaxMemberBytes
	if left := r.lim.MaxTotalBytes - r.total; left < max {
		max = left
	}
	if max < 0 {
		max = 0
	}
	if f.Flags&flagEncrypted != 0 {
		r.readEncrypted(f, m, max)
		return
	}
	rc, err := f.Open()
	if err != nil {
		m.Err = openError(f, err)
		return
	}
	defer rc.Close()
	data, err := r.readCapped(rc, m, max)
	if err != nil {
		m.Err = err.Error()
		return
	}
	m.Data = data
}

// readEncrypted tries each password on a ZipCrypto member. A password is
// right when the header's check byte matches and the inflated content has
// the CRC-32 the archive declares: the check byte alone lets one wrong
// password in 256 through.
func (r *reader) readEncrypted(f *zip.File, m *Member, max int64) {
	if f.Method != zip.Store && f.Method != zip.Deflate {
		m.Err = fmt.Sprintf("encrypted: unsupported compression method %d", f.Method)
		return
	}
	for _, pw := range r.passwords {
		rc, err := openZipCrypto(f, pw)
		if errors.Is(err, errWrongPassword) {
			continue
		}
		if err != nil {
			m.Err = fmt.Sprintf("encrypted: %v", err)
			return
		}
		data, err := r.readCapped(rc, m, max)
		rc.Close()
		if errors.Is(err, errOverCap) {
			// The password is right (the content inflates past the cap);
			// stop here rather than inflate again with the next one.
			m.Password = pw
			m.Err = err.Error()
			return
		}
		if err != nil || crc32.ChecksumIEEE(data) != f.CRC32 {
			// What a wrong key inflated stays counted against the total:
			// the cap bounds the work, and an archive of many members
			// that pass the check byte but not the CRC must not get a
			// fresh budget for each password.
			m.Size = 0
			continue
		}
		m.Password = pw
		m.Data = data
		return
	}
	m.Err = "encrypted: no known password"
}

var errOverCap = errors.New("over size limit")

// readCapped reads rc to its end, but never more than max+1 bytes: the
// declared sizes are not trusted, so the cap alone decides when to stop.
func (r *reader) readCapped(rc io.Reader, m *Member, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	m.Size = int64(len(data))
	if int64(len(data)) > max {
		// Refused: the bytes read are not kept, nor counted.
		if max < r.lim.MaxMemberBytes {
			return nil, fmt.Errorf("%w: archive total of %d bytes reached", errOverCap, r.lim.MaxTotalBytes)
		}
		return nil, fmt.Errorf("%w: member larger than %d bytes", errOverCap, max)
	}
	r.total += int64(len(data))
	if err != nil {
		return data, fmt.Errorf("inflating: %w", err)
	}
	return data, nil
}

func openError(f *zip.File, err error) string {
	if errors.Is(err, zip.ErrAlgorithm) {
		return fmt.Sprintf("unsupported compression method %d", f.Method)
	}
	return fmt.Sprintf("opening: %v", err)
}
