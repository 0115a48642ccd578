package archive

import (
	"bytes"
	"fmt"
)

// Kind names the archive format data starts with: "zip", "7z", "rar", or
// "" for none this package reads.
func Kind(data []byte) string {
	switch {
	case isZip(data):
		return "zip"
	case bytes.HasPrefix(data, sevenZipMagic):
		return "7z"
	case bytes.HasPrefix(data, rar4Magic), bytes.HasPrefix(data, rar5Magic):
		return "rar"
	}
	return ""
}

// Read reads an archive of any Kind.
func Read(data []byte, lim Limits, passwords ...string) (*Listing, error) {
	return newReader(lim, passwords).readAny(data, 0)
}

func (r *reader) readAny(data []byte, depth int) (*Listing, error) {
	switch Kind(data) {
	case "7z":
		return r.read7z(data, depth)
	case "rar":
		return r.readRar(data, depth)
	default:
		return r.read(data, depth)
	}
}

// nest lists a member that is itself an archive, within the depth limit.
func (r *reader) nest(m *Member, depth int) {
	if m.Data == nil || depth >= r.lim.MaxDepth {
		return
	}
	kind := Kind(m.Data)
	if kind == "" {
		return
	}
	nested, err := r.readAny(m.Data, depth+1)
	if err != nil {
		m.Err = fmt.Sprintf("nested %s: %v", kind, err)
	}
	m.Nested = nested
}
