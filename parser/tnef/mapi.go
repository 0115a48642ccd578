package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MAPI property types, [MS-OXCDATA] 2.11.1.
const (
	ptShort    = 0x0002
	ptLong     = 0x0003
	ptFloat    = 0x0004
	ptDouble   = 0x0005
	ptCurrency = 0x0006
	ptAppTime  = 0x0007
	ptError    = 0x000A
	ptBoolean  = 0x000B
	ptObject   = 0x000D
	ptI8       = 0x0014
	ptString8  = 0x001E
	ptUnicode  = 0x001F
	ptSysTime  = 0x0040
	ptCLSID    = 0x0048
	ptServerID = 0x00FB
	ptBinary   = 0x0102

	// mvFlag marks a multi-valued type.
	mvFlag = 0x1000
)

// MAPI property ids read from attMAPIProps and attAttachment.
const (
	prSubject            = 0x0037
	prSenderName         = 0x0C1A
	prSenderEmail        = 0x0C1F
	prBody               = 0x1000
	prRTFCompressed      = 0x1009
	prBodyHTML           = 0x1013
	prInternetMessageID  = 0x1035
	prDisplayName        = 0x3001
	prAttachDataBin      = 0x3701 // also PR_ATTACH_DATA_OBJ with PT_OBJECT
	prAttachFilename     = 0x3704
	prAttachLongFilename = 0x3707
	prAttachMIMETag      = 0x370E
	prInternetCPID       = 0x3FDE
	prMessageCodepage    = 0x3FFD
	prSenderSMTPAddress  = 0x5D01

	// namedMin is the first id of named properties, whose id is only
	// meaningful through the name that follows the tag.
	namedMin = 0x8000
)

// Kinds of a named property's name, [MS-OXTNEF] 2.1.3.5.
const (
	kindID     = 0
	kindString = 1
)

// iidSize is the size of the interface identifier that starts a PT_OBJECT
// value (IID_IMessage for an embedded message).
const iidSize = 16

var errPropType = errors.New("unknown property type")

// property is one value of a MAPI property list. Only the first value of
// a multi-valued property is kept: the properties read here are all
// single-valued, and keeping no more bounds the work to the input.
type property struct {
	id, typ uint16
	val     []byte
}

// fixedSize is the size of a value of the fixed-size type t, 0 for a
// variable-length or unknown type.
func fixedSize(t uint16) int {
	switch t {
	case ptShort, ptBoolean:
		return 2
	case ptLong, ptFloat, ptError:
		return 4
	case ptDouble, ptCurrency, ptAppTime, ptI8, ptSysTime:
		return 8
	case ptCLSID:
		return 16
	}
	return 0
}

func variableLength(t uint16) bool {
	switch t {
	case ptString8, ptUnicode, ptBinary, ptObject, ptServerID:
		return true
	}
	return false
}

// pad4 rounds n up to a multiple of 4: values in a property list are
// padded to 4 bytes ([MS-OXTNEF] 2.1.3.5).
func pad4(n uint64) uint64 { return (n + 3) &^ 3 }

// propReader reads a property list, [MS-OXTNEF] 2.1.3.5: a count, then
// each property's tag, its name when it is a named one, and its values.
type propReader struct {
	b   []byte
	off int
}

func (r *propReader) uint32() (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, fmt.Errorf("offset %d: %w", r.off, errTruncated)
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

// skip consumes n bytes and returns them.
func (r *propReader) skip(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("offset %d: %d bytes of %d left: %w", r.off, n, len(r.b)-r.off, errTruncated)
	}
	v := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return v, nil
}

// readProps calls fn for each property of the list b, in order, and stops
// at the first one it cannot read. The count is not trusted beyond what
// b holds: each property takes at least four bytes, so a false count ends
// with an error, not with a long loop.
func readProps(b []byte, fn func(property)) error {
	r := &propReader{b: b}
	n, err := r.uint32()
	if err != nil {
		return fmt.Errorf("count: %w", err)
	}
	for i := uint32(0); i < n; i++ {
		p, err := r.property()
		if err != nil {
			return fmt.Errorf("property %d of %d: %w", i, n, err)
		}
		fn(p)
	}
	return nil
}

func (r *propReader) property() (property, error) {
	tag, err := r.uint32()
	if err != nil {
		return property{}, err
	}
	p := property{typ: uint16(tag), id: uint16(tag >> 16)}
	if p.id >= namedMin {
		if err := r.name(); err != nil {
			return p, fmt.Errorf("name of 0x%04x: %w", p.id, err)
		}
	}
	base := p.typ &^ mvFlag
	count := uint32(1)
	// Multi-valued and variable-length values carry their count.
	if p.typ&mvFlag != 0 || variableLength(base) {
		if count, err = r.uint32(); err != nil {
			return p, err
		}
	}
	for i := uint32(0); i < count; i++ {
		var v []byte
		switch {
		case variableLength(base):
			var n uint32
			if n, err = r.uint32(); err != nil {
				return p, err
			}
			if v, err = r.skip(pad4(uint64(n))); err != nil {
				return p, fmt.Errorf("value of 0x%04x: %w", p.id, err)
			}
			v = v[:n]
		case fixedSize(base) > 0:
			if v, err = r.skip(pad4(uint64(fixedSize(base)))); err != nil {
				return p, fmt.Errorf("value of 0x%04x: %w", p.id, err)
			}
			v = v[:fixedSize(base)]
		default:
			return p, fmt.Errorf("0x%04x of type 0x%04x: %w", p.id, p.typ, errPropType)
		}
		if i == 0 {
			p.val = v
		}
	}
	if base == ptObject && p.val != nil {
		if len(p.val) < iidSize {
			return p, fmt.Errorf("object 0x%04x of %d bytes: %w", p.id, len(p.val), errTruncated)
		}
		p.val = p.val[iidSize:]
	}
	return p, nil
}

// name skips a named property's name: a GUID, a kind, then a number or a
// counted UTF-16 string padded to 4 bytes. The names of named properties
// vary between writers; the reader needs none of them.
func (r *propReader) name() error {
	if _, err := r.skip(16); err != nil {
		return err
	}
	kind, err := r.uint32()
	if err != nil {
		return err
	}
	switch kind {
	case kindID:
		_, err = r.uint32()
		return err
	case kindString:
		n, err := r.uint32()
		if err != nil {
			return err
		}
		_, err = r.skip(pad4(uint64(n)))
		return err
	}
	return fmt.Errorf("name kind %d: %w", kind, errPropType)
}

// uint32Value returns a PT_LONG property's value.
func (p property) uint32Value() (uint32, bool) {
	if p.typ != ptLong || len(p.val) < 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(p.val), true
}

// text returns a string or binary property's value, undecoded.
func (p property) text() text {
	switch p.typ {
	case ptUnicode:
		return text{b: p.val, unicode: true}
	case ptString8, ptBinary:
		return text{b: p.val}
	}
	return text{}
}
