package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Attribute levels, [MS-OXTNEF] 2.1.3: an attribute belongs to the
// message or to the attachment last opened by attAttachRendData.
const (
	levelMessage    = 0x01
	levelAttachment = 0x02
)

// Attribute tags: the low word of an attribute id ([MS-OXTNEF] 2.1.3).
// The high word repeats the attribute's type, which writers have not
// always set as the specification says; the tag alone names the attribute,
// so the reader matches on it.
const (
	tagFrom           = 0x8000 // attFrom 0x00008000, a triple
	tagSubject        = 0x8004 // attSubject 0x00018004
	tagMessageID      = 0x8009 // attMessageID 0x00018009
	tagBody           = 0x800C // attBody 0x0002800C
	tagAttachData     = 0x800F // attAttachData 0x0006800F
	tagAttachTitle    = 0x8010 // attAttachTitle 0x00018010
	tagAttachRendData = 0x9002 // attAttachRendData 0x00069002
	tagMAPIProps      = 0x9003 // attMAPIProps 0x00069003
	tagAttachment     = 0x9005 // attAttachment 0x00069005
	tagOemCodepage    = 0x9007 // attOemCodepage 0x00069007
)

// attrHeader is the size of an attribute's level, id and length fields;
// attrChecksum that of the checksum after its data.
const (
	attrHeader   = 1 + 4 + 4
	attrChecksum = 2
)

var (
	errTruncated = errors.New("truncated")
	errChecksum  = errors.New("bad checksum")
)

// attribute is one attribute of the stream, [MS-OXTNEF] 2.1.3. Its data
// aliases the input.
type attribute struct {
	level byte
	id    uint32
	data  []byte
}

func (a attribute) tag() uint16 { return uint16(a.id) }

// readAttribute reads the attribute at the start of b and returns the
// number of bytes it takes. A bad checksum is returned with the attribute,
// which the caller may still use: the data is where the length says, and
// a writer's slip in the checksum should not cost an attachment.
func readAttribute(b []byte) (attribute, int, error) {
	if len(b) < attrHeader {
		return attribute{}, 0, fmt.Errorf("header of %d bytes: %w", len(b), errTruncated)
	}
	a := attribute{
		level: b[0],
		id:    binary.LittleEndian.Uint32(b[1:]),
	}
	if a.level != levelMessage && a.level != levelAttachment {
		return attribute{}, 0, fmt.Errorf("level 0x%02x: not an attribute", a.level)
	}
	// Compare in uint64 so that a length near 2^32 cannot wrap.
	n := uint64(binary.LittleEndian.Uint32(b[5:]))
	if n+attrChecksum > uint64(len(b)-attrHeader) {
		return attribute{}, 0, fmt.Errorf("attribute 0x%08x of %d bytes, %d left: %w",
			a.id, n, len(b)-attrHeader, errTruncated)
	}
	end := attrHeader + int(n)
	a.data = b[attrHeader:end]
	size := end + attrChecksum
	if got, want := checksum(a.data), binary.LittleEndian.Uint16(b[end:]); got != want {
		return a, size, fmt.Errorf("attribute 0x%08x: %w: stored 0x%04x, computed 0x%04x", a.id, errChecksum, want, got)
	}
	return a, size, nil
}

// checksum is the sum of the data's bytes modulo 65536, [MS-OXTNEF] 2.1.3.
func checksum(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}
