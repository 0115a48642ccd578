package tnef

import (
	"encoding/binary"
	"unicode/utf16"
)

// builder writes a TNEF stream for the tests: the signature, a legacy key,
// then attributes with their checksums ([MS-OXTNEF] 2.1.3).
type builder struct{ b []byte }

func newTNEF() *builder {
	b := &builder{}
	b.b = binary.LittleEndian.AppendUint32(b.b, Signature)
	b.b = binary.LittleEndian.AppendUint16(b.b, 0x0101)
	// attTnefVersion, as writers put it first.
	return b.attr(levelMessage, 0x00089006, le32(0x00010000))
}

// attr appends an attribute with the right checksum.
func (b *builder) attr(level byte, id uint32, data []byte) *builder {
	return b.attrSum(level, id, data, checksum(data))
}

// attrSum appends an attribute with the checksum sum.
func (b *builder) attrSum(level byte, id uint32, data []byte, sum uint16) *builder {
	b.b = append(b.b, level)
	b.b = binary.LittleEndian.AppendUint32(b.b, id)
	b.b = binary.LittleEndian.AppendUint32(b.b, uint32(len(data)))
	b.b = append(b.b, data...)
	b.b = binary.LittleEndian.AppendUint16(b.b, sum)
	return b
}

// raw appends bytes as they are.
func (b *builder) raw(p ...byte) *builder {
	b.b = append(b.b, p...)
	return b
}

func (b *builder) bytes() []byte { return b.b }

// Attribute ids as the specification writes them.
const (
	idFrom           = 0x00008000
	idSubject        = 0x00018004
	idMessageID      = 0x00018009
	idBody           = 0x0002800C
	idAttachData     = 0x0006800F
	idAttachTitle    = 0x00018010
	idAttachRendData = 0x00069002
	idMAPIProps      = 0x00069003
	idAttachment     = 0x00069005
	idOemCodepage    = 0x00069007
)

// rendData is an attAttachRendData for a file attachment: type, position,
// rendering size and flags ([MS-OXTNEF], attAttachRendData).
var rendData = []byte{1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0}

// attachment appends the attributes of a legacy attachment.
func (b *builder) attachment(title string, data []byte) *builder {
	return b.attr(levelAttachment, idAttachRendData, rendData).
		attr(levelAttachment, idAttachTitle, sz(title)).
		attr(levelAttachment, idAttachData, data)
}

// props builds a MAPI property list, [MS-OXTNEF] 2.1.3.5.
type props struct {
	n uint32
	b []byte
}

// add appends a property with its values. Variable-length types get a
// count and each value its length; all values are padded to 4 bytes.
func (p *props) add(typ, id uint16, vals ...[]byte) *props {
	p.n++
	p.b = binary.LittleEndian.AppendUint16(p.b, typ)
	p.b = binary.LittleEndian.AppendUint16(p.b, id)
	return p.values(typ, vals)
}

// addNamed appends a named property; a name of "" gives a numeric name.
func (p *props) addNamed(typ, id uint16, name string, vals ...[]byte) *props {
	p.n++
	p.b = binary.LittleEndian.AppendUint16(p.b, typ)
	p.b = binary.LittleEndian.AppendUint16(p.b, id)
	p.b = append(p.b, make([]byte, 16)...) // the property set GUID
	if name == "" {
		p.b = append(p.b, le32(kindID)...)
		p.b = append(p.b, le32(0x8233)...)
	} else {
		n := utf16z(name)
		p.b = append(p.b, le32(kindString)...)
		p.b = append(p.b, le32(uint32(len(n)))...)
		p.b = append(p.b, padded(n)...)
	}
	return p.values(typ, vals)
}

func (p *props) values(typ uint16, vals [][]byte) *props {
	if typ&mvFlag != 0 || variableLength(typ) {
		p.b = append(p.b, le32(uint32(len(vals)))...)
	}
	for _, v := range vals {
		if variableLength(typ &^ mvFlag) {
			p.b = append(p.b, le32(uint32(len(v)))...)
		}
		p.b = append(p.b, padded(v)...)
	}
	return p
}

func (p *props) bytes() []byte { return append(le32(p.n), p.b...) }

func padded(v []byte) []byte {
	return append(append([]byte(nil), v...), make([]byte, int(pad4(uint64(len(v))))-len(v))...)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// sz is s NUL-terminated, as TNEF's 8-bit strings are.
func sz(s string) []byte { return append([]byte(s), 0) }

// utf16z is s in UTF-16LE, NUL-terminated.
func utf16z(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

// triple is an attFrom value: a TRP header, name, address, terminator.
func triple(name, addr string) []byte {
	n, a := sz(name), sz(addr)
	var b []byte
	b = binary.LittleEndian.AppendUint16(b, 0x0004)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(n)+len(a)+16))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(n)))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(a)))
	b = append(b, n...)
	b = append(b, a...)
	return append(b, make([]byte, 8)...)
}
