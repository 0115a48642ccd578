// Package outlook reads Outlook .msg files: the subject, sender, recipients,
// transport headers, bodies and attachments of a message, and of the
// messages attached to it, recursively.
//
// A .msg file is a compound file ([MS-CFB]) whose storages and streams hold
// the MAPI properties of a message, its recipients and its attachments, as
// laid out by [MS-OXMSG]. Compressed RTF bodies are inflated as [MS-OXRTFCP]
// describes. The file is hostile input: the depth of embedded messages, the
// number of attachments and the bytes read are bounded, and a corrupt file
// gives an error, never a panic.
package outlook

import (
	"bytes"
	"fmt"
	"time"

	"github.com/richardlehane/mscfb"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

// Defaults for the zero fields of Limits.
const (
	DefaultMaxDepth       = 5
	DefaultMaxAttachments = 500
	DefaultMaxBytes       = 64 << 20
)

// Limits bound the work Read does. A zero field takes its default.
type Limits struct {
	// MaxDepth is the number of levels of embedded messages read below the
	// top message.
	MaxDepth int
	// MaxAttachments is the number of attachments read, at all depths.
	MaxAttachments int
	// MaxBytes is the number of bytes of property values read, at all
	// depths, decompressed RTF included.
	MaxBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = DefaultMaxAttachments
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	return l
}

// Message is one message of a .msg file: the top one or an embedded one.
// Strings are UTF-8 whatever the file's code page.
type Message struct {
	// Class is the message class (PidTagMessageClass), "IPM.Note" for mail.
	Class   string
	Subject string
	// From is the sender's SMTP address when the file has one, and FromName
	// the sender's display name.
	From     string
	FromName string
	// To and Cc are the recipients' addresses (their display names when a
	// recipient has no address); Recipients has all of them with their names.
	To         []string
	Cc         []string
	Recipients []Recipient
	// DisplayTo is what Outlook shows as To: display names, "; " between.
	DisplayTo string
	MessageID string
	// Date is the client submit time, else the delivery time, else the
	// Date of the transport headers; zero when none is known.
	Date time.Time
	// Headers is the transport header block (PidTagTransportMessageHeaders):
	// the RFC 5322 header of a message that was received, empty for a
	// message composed in Outlook and never sent.
	Headers string
	// Body is the plain text body, HTML the HTML body and RTF the RTF body,
	// decompressed; each is empty when the file lacks it. When the file has
	// only an RTF body that encapsulates HTML, HTML is recovered from it.
	Body        string
	HTML        string
	RTF         string
	Attachments []Attachment
	// Errors are the reasons the message was not read in full: a limit
	// reached, a damaged stream. They are gathered from every depth into the
	// top message, each saying where it happened.
	Errors []string
}

// RecipientType says how a recipient was addressed (PidTagRecipientType).
type RecipientType int

// Recipient types of [MS-OXOMSG] 2.2.3.1.
const (
	RecipientTo  RecipientType = 1
	RecipientCc  RecipientType = 2
	RecipientBcc RecipientType = 3
)

// Recipient is one recipient of a message.
type Recipient struct {
	Name  string
	Email string
	Type  RecipientType
}

// Attachment is one attachment of a message: file data, or an embedded
// message.
type Attachment struct {
	// Filename is the long file name, else the short one, else the
	// attachment's display name. It is data, never a path.
	Filename  string
	MimeType  string
	ContentID string
	// Data is the content of an attachment by value.
	Data []byte
	// Embedded is the message of an attachment that is one (ATTACH_EMBEDDED_MSG).
	Embedded *Message
}

// Read reads the .msg file data. It fails only when data is not a compound
// file holding a message; what could not be read within it is listed in the
// message's Errors.
func Read(data []byte, lim Limits) (*Message, error) {
	cf, err := openCompound(data)
	if err != nil {
		return nil, fmt.Errorf("outlook: reading compound file: %w", err)
	}
	root := buildTree(cf)
	if root.stream(propertiesStream) == nil {
		return nil, fmt.Errorf("outlook: not a message: no %s stream", propertiesStream)
	}
	rd := &reader{lim: lim.withDefaults(), size: int64(len(data))}
	msg := rd.message(root, 0, "", codepage.Default)
	msg.Errors = rd.errs
	return msg, nil
}

// openCompound parses the compound file's header, sectors and directory
// with mscfb. That code is not ours to harden, so a panic in it becomes an
// error here (and in readFull); our own code is left to fail loudly in the
// fuzz tests.
func openCompound(data []byte) (cf *mscfb.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			cf, err = nil, fmt.Errorf("mscfb panic: %v", p)
		}
	}()
	return mscfb.New(bytes.NewReader(data))
}
