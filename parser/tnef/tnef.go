// Package tnef reads Transport Neutral Encapsulation Format data (winmail.dat,
// application/ms-tnef), as Outlook and Exchange send it: the attachments it
// carries and the message body.
//
// The format is described by [MS-OXTNEF]: a signature, a legacy key, then a
// sequence of attributes, each a level, an id, a length, the data and a
// checksum. Some attributes carry MAPI property lists ([MS-OXTNEF] 2.1.3.5),
// which hold what the legacy attributes cannot: long file names, MIME types,
// the HTML and compressed RTF bodies.
//
// The data is hostile input. Every length is checked against what remains
// before it is used, the number of attachments and the bytes kept are
// bounded, and damage is reported in Message.Errors rather than as a
// failure: Read fails only when the data is not TNEF at all.
package tnef

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Signature is the first four bytes of a TNEF stream, little-endian
// ([MS-OXTNEF] 2.1.3).
const Signature = 0x223E9F78

// streamHeader is the size of the signature and the legacy key.
const streamHeader = 4 + 2

// Defaults for the zero fields of Limits.
const (
	DefaultMaxAttachments = 500
	DefaultMaxBytes       = 64 << 20
)

// ErrNotTNEF is returned by Read when the data does not start with the
// TNEF signature.
var ErrNotTNEF = errors.New("not TNEF")

// errLimit marks the entries of Message.Errors that a limit caused.
var errLimit = errors.New("limit reached")

// Limits bound the work Read does. A zero or negative field takes its
// default.
type Limits struct {
	// MaxAttachments is the number of attachments kept.
	MaxAttachments int
	// MaxBytes is the number of bytes of attachment data, bodies and
	// strings kept.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Message is what a TNEF stream carries. Strings are UTF-8 whatever the
// stream's code page; each is empty when the stream lacks it.
type Message struct {
	Subject string
	// From is the sender as the legacy attFrom attribute or the MAPI
	// sender properties give it: "Name <address>", or either alone.
	From string
	// MessageID is the RFC 5322 Message-ID (PidTagInternetMessageId) when
	// the stream has it, else attMessageID, a hex search key.
	MessageID string
	// Body is the plain text body, HTML the HTML body.
	Body string
	HTML string
	// RTFCompressed is the RTF body as the stream holds it
	// (PidTagRtfCompressed), still compressed as [MS-OXRTFCP] describes:
	// Outlook often sends only this body. It is left to the caller to
	// inflate it.
	RTFCompressed []byte
	Attachments   []Attachment
	// Errors are the reasons the stream was not read in full: a bad
	// checksum, a truncated attribute, a limit reached.
	Errors []string
}

// Attachment is one attachment of the stream.
type Attachment struct {
	// Filename is the long file name, else the short one, else the
	// attachment's title; empty when the stream names none. It is data,
	// never a path.
	Filename string
	MimeType string
	// Data is the attachment's content, nil when it did not fit in
	// Limits.MaxBytes. For an embedded message or OLE object (PT_OBJECT)
	// it is the object's data after its interface identifier: for a
	// message, a TNEF stream of its own, for OLE a compound file. It is a
	// copy: it does not alias the data given to Read.
	Data []byte
}

// Read reads the TNEF stream data. It fails only when data does not start
// with the TNEF signature; what could not be read after it is listed in the
// message's Errors, and what was read before is returned.
func Read(data []byte, lim Limits) (*Message, error) {
	// Signature (4 bytes) and LegacyKey (2 bytes), [MS-OXTNEF] 2.1.3.
	// The key was used to match attachments to the message's RTF; it
	// carries nothing we need.
	if len(data) < streamHeader || binary.LittleEndian.Uint32(data) != Signature {
		return nil, fmt.Errorf("tnef: reading signature: %w", ErrNotTNEF)
	}
	d := &decoder{lim: lim.withDefaults(), in: data[streamHeader:], off: streamHeader, msg: &Message{}}
	d.run()
	d.finish()
	return d.msg, nil
}
