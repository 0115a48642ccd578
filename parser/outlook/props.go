package outlook

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

// Stream and storage names of [MS-OXMSG] 2.2.
const (
	propertiesStream = "__properties_version1.0"
	attachPrefix     = "__attach_version1.0_#"
	recipPrefix      = "__recip_version1.0_#"
	substgPrefix     = "__substg1.0_"
)

// Property header lengths of the property stream ([MS-OXMSG] 2.4.1): the
// top-level message's, an embedded message's, and that of a recipient or
// attachment object.
const (
	headerTop      = 32
	headerEmbedded = 24
	headerObject   = 8
)

// Property types of [MS-OXCDATA] 2.11.1.
const (
	typeInt32   = 0x0003
	typeBoolean = 0x000B
	typeObject  = 0x000D
	typeString8 = 0x001E
	typeUnicode = 0x001F
	typeTime    = 0x0040
	typeBinary  = 0x0102
)

// Property IDs, named as in [MS-OXPROPS].
const (
	pidMessageClass            = 0x001A
	pidSubject                 = 0x0037
	pidClientSubmitTime        = 0x0039
	pidSentRepresentingName    = 0x0042
	pidSentRepresentingEmail   = 0x0065
	pidTransportMessageHeaders = 0x007D
	pidSenderName              = 0x0C1A
	pidSenderEmailAddress      = 0x0C1F
	pidRecipientType           = 0x0C15
	pidDisplayTo               = 0x0E04
	pidMessageDeliveryTime     = 0x0E06
	pidBody                    = 0x1000
	pidRtfCompressed           = 0x1009
	pidHTML                    = 0x1013
	pidInternetMessageID       = 0x1035
	pidDisplayName             = 0x3001
	pidEmailAddress            = 0x3003
	pidAttachDataBinary        = 0x3701 // also PidTagAttachDataObject, type 000D
	pidAttachFilename          = 0x3704
	pidAttachLongFilename      = 0x3707
	pidAttachMethod            = 0x3705
	pidAttachMimeTag           = 0x370E
	pidAttachContentID         = 0x3712
	pidSMTPAddress             = 0x39FE
	pidInternetCodepage        = 0x3FDE
	pidMessageCodepage         = 0x3FFD
	pidSenderSMTPAddress       = 0x5D01
	pidSentRepresentingSMTP    = 0x5D02
)

// Attachment methods of [MS-OXCMSG] 2.2.2.9.
const (
	attachByValue     = 1
	attachEmbeddedMsg = 5
	attachOLE         = 6
)

var errLimit = errors.New("byte limit reached")

// object is a message, recipient or attachment: its storage, its fixed-size
// property values and the code page of its 8-bit strings.
type object struct {
	rd       *reader
	s        *storage
	fixed    map[uint32][8]byte
	codePage int
	where    string // for errors: "attachment 2", "" for the top message
}

// newObject reads the property stream of s, whose header is headerLen bytes.
func (rd *reader) newObject(s *storage, headerLen int, where string, codePage int) *object {
	o := &object{rd: rd, s: s, fixed: map[uint32][8]byte{}, codePage: codePage, where: where}
	b, err := rd.readStream(s.stream(propertiesStream))
	if err != nil {
		rd.errorf(where, "%s: %v", propertiesStream, err)
		return o
	}
	// [MS-OXMSG] 2.4.2: after the header, 16-byte entries: the tag, flags,
	// and 8 bytes of value (the value itself for a fixed-size type).
	if len(b) < headerLen {
		return o
	}
	for b = b[headerLen:]; len(b) >= 16; b = b[16:] {
		var v [8]byte
		copy(v[:], b[8:16])
		o.fixed[binary.LittleEndian.Uint32(b)] = v
	}
	for _, id := range []uint16{pidMessageCodepage, pidInternetCodepage} {
		if cp, ok := o.int32(id); ok && cp > 0 {
			o.codePage = int(cp)
			break
		}
	}
	return o
}

func (o *object) int32(id uint16) (int32, bool) {
	v, ok := o.fixed[uint32(id)<<16|typeInt32]
	return int32(binary.LittleEndian.Uint32(v[:])), ok
}

// time reads a PT_SYSTIME property: a FILETIME, 100 ns ticks since 1601.
func (o *object) time(id uint16) time.Time {
	v, ok := o.fixed[uint32(id)<<16|typeTime]
	ft := binary.LittleEndian.Uint64(v[:])
	if !ok || ft == 0 {
		return time.Time{}
	}
	const ticksTo1970 = 116444736000000000
	if ft < ticksTo1970 {
		return time.Time{}
	}
	ft -= ticksTo1970
	return time.Unix(int64(ft/1e7), int64(ft%1e7)*100).UTC()
}

// streamName is the name of the stream of a variable-size property
// ([MS-OXMSG] 2.1.3): "__substg1.0_" and the tag in 8 hex digits.
func streamName(id, typ uint16) string {
	return fmt.Sprintf("%s%04X%04X", substgPrefix, id, typ)
}

// binary reads a PT_BINARY property, nil when absent.
func (o *object) binary(id uint16) []byte {
	f := o.s.stream(streamName(id, typeBinary))
	if f == nil {
		return nil
	}
	b, err := o.rd.readStream(f)
	if err != nil {
		o.rd.errorf(o.where, "property %04X: %v", id, err)
		return nil
	}
	return b
}

// string reads a string property, stored either as UTF-16LE (PT_UNICODE) or
// in the object's code page (PT_STRING8). Terminating NULs are dropped.
func (o *object) string(id uint16) string {
	if f := o.s.stream(streamName(id, typeUnicode)); f != nil {
		b, err := o.rd.readStream(f)
		if err != nil {
			o.rd.errorf(o.where, "property %04X: %v", id, err)
			return ""
		}
		return decodeUTF16(b)
	}
	if f := o.s.stream(streamName(id, typeString8)); f != nil {
		b, err := o.rd.readStream(f)
		if err != nil {
			o.rd.errorf(o.where, "property %04X: %v", id, err)
			return ""
		}
		return codepage.Decode(trimNUL(b), o.codePage)
	}
	return ""
}

// firstString returns the first of the properties ids that is not empty.
func (o *object) firstString(ids ...uint16) string {
	for _, id := range ids {
		if s := o.string(id); s != "" {
			return s
		}
	}
	return ""
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// readStream reads a whole stream, counting its size against MaxBytes
// before reading, so that a lying size cannot make it allocate more.
func (rd *reader) readStream(f *mscfb.File) ([]byte, error) {
	if f == nil {
		return nil, errors.New("missing stream")
	}
	size := f.Size
	// A compound file stores streams uncompressed: none is larger than
	// the file.
	if size > rd.size {
		return nil, fmt.Errorf("stream of %d bytes in a file of %d", size, rd.size)
	}
	if err := rd.spend(size); err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if err := readFull(f, b); err != nil {
		return nil, fmt.Errorf("reading stream: %w", err)
	}
	return b, nil
}

// readFull reads a stream through mscfb's sector chains; see openCompound
// for the recover.
func readFull(f *mscfb.File, b []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mscfb panic: %v", p)
		}
	}()
	_, err = io.ReadFull(f, b)
	return err
}

// spend counts n bytes against MaxBytes.
func (rd *reader) spend(n int64) error {
	if n > rd.lim.MaxBytes-rd.used {
		return fmt.Errorf("%w: %d bytes", errLimit, rd.lim.MaxBytes)
	}
	rd.used += n
	return nil
}
