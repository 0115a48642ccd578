package tnef

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

// decoder reads the attributes of one stream. Everything it gathers
// aliases the input until finish, which decodes the strings in the code
// page the stream names and copies the bytes it keeps, within the budget.
type decoder struct {
	lim  Limits
	in   []byte // the attributes not yet read
	off  int    // offset of in[0] in the stream
	msg  *Message
	errs []string

	// Message attributes and properties.
	subject, mapiSubject   text
	messageID, internetID  text
	body, mapiBody         text
	html                   text
	htmlBinary             bool
	rtf                    []byte
	fromName, fromAddr     text
	senderName, senderSMTP text
	senderEmail            text
	oemCP, messageCP       uint32
	internetCP             uint32

	atts     []*pending
	cur      *pending // the attachment attAttachRendData last opened
	dropping bool     // attachments past MaxAttachments are being skipped
}

// pending is an attachment being read.
type pending struct {
	title, long, short, display, mime text
	data, mapiData                    []byte
}

func (d *decoder) errorf(format string, args ...any) {
	d.errs = append(d.errs, fmt.Sprintf(format, args...))
}

// run reads attributes until the input ends or one cannot be read.
func (d *decoder) run() {
	for len(d.in) > 0 {
		a, n, err := readAttribute(d.in)
		if err != nil {
			d.errorf("tnef: attribute at offset %d: %v", d.off, err)
			if !errors.Is(err, errChecksum) {
				return
			}
		}
		d.attribute(a)
		d.in = d.in[n:]
		d.off += n
	}
}

// attribute files a by its tag. Attachment attributes follow the
// attAttachRendData that opens their attachment ([MS-OXTNEF] 2.1.3).
func (d *decoder) attribute(a attribute) {
	switch a.tag() {
	case tagSubject:
		d.subject = text{b: a.data}
	case tagMessageID:
		d.messageID = text{b: a.data}
	case tagBody:
		d.body = text{b: a.data}
	case tagFrom:
		d.from(a.data)
	case tagOemCodepage:
		// Two code pages, primary then secondary ([MS-OXTNEF], attOemCodepage).
		if len(a.data) >= 4 {
			d.oemCP = binary.LittleEndian.Uint32(a.data)
		}
	case tagMAPIProps:
		if err := readProps(a.data, d.messageProp); err != nil {
			d.errorf("tnef: message properties at offset %d: %v", d.off, err)
		}
	case tagAttachRendData:
		d.open()
	case tagAttachTitle:
		if p := d.attachment(); p != nil {
			p.title = text{b: a.data}
		}
	case tagAttachData:
		if p := d.attachment(); p != nil {
			p.data = a.data
		}
	case tagAttachment:
		if p := d.attachment(); p != nil {
			if err := readProps(a.data, p.prop); err != nil {
				d.errorf("tnef: attachment %d properties at offset %d: %v", len(d.atts), d.off, err)
			}
		}
	}
}

// open starts a new attachment, unless MaxAttachments are read.
func (d *decoder) open() {
	if len(d.atts) >= d.lim.MaxAttachments {
		if !d.dropping {
			d.errorf("tnef: attachment %d: %v: %d attachments", len(d.atts)+1, errLimit, d.lim.MaxAttachments)
		}
		d.dropping, d.cur = true, nil
		return
	}
	d.cur = &pending{}
	d.atts = append(d.atts, d.cur)
}

// attachment returns the attachment attributes go to. Some writers put
// attachment attributes before the first attAttachRendData; they get an
// attachment of their own rather than being lost.
func (d *decoder) attachment() *pending {
	if d.cur == nil && !d.dropping {
		d.open()
	}
	return d.cur
}

// from reads attFrom, a triple ([MS-OXTNEF], attFrom): a header of four
// uint16 (type, size, display name length, address length), the
// NUL-terminated display name, then the address as "TYPE:address".
func (d *decoder) from(b []byte) {
	if len(b) < 8 {
		return
	}
	nameLen := int(binary.LittleEndian.Uint16(b[4:]))
	addrLen := int(binary.LittleEndian.Uint16(b[6:]))
	b = b[8:]
	if nameLen > len(b) {
		return
	}
	d.fromName = text{b: b[:nameLen]}
	b = b[nameLen:]
	if addrLen > len(b) {
		return
	}
	d.fromAddr = text{b: b[:addrLen]}
}

// messageProp files a property of attMAPIProps.
func (d *decoder) messageProp(p property) {
	switch p.id {
	case prSubject:
		d.mapiSubject = p.text()
	case prBody:
		d.mapiBody = p.text()
	case prBodyHTML:
		d.html = p.text()
		d.htmlBinary = p.typ == ptBinary
	case prRTFCompressed:
		if p.typ == ptBinary {
			d.rtf = p.val
		}
	case prInternetMessageID:
		d.internetID = p.text()
	case prSenderName:
		d.senderName = p.text()
	case prSenderEmail:
		d.senderEmail = p.text()
	case prSenderSMTPAddress:
		d.senderSMTP = p.text()
	case prInternetCPID:
		d.internetCP, _ = p.uint32Value()
	case prMessageCodepage:
		d.messageCP, _ = p.uint32Value()
	}
}

// prop files a property of attAttachment.
func (p *pending) prop(q property) {
	switch q.id {
	case prAttachLongFilename:
		p.long = q.text()
	case prAttachFilename:
		p.short = q.text()
	case prDisplayName:
		p.display = q.text()
	case prAttachMIMETag:
		p.mime = q.text()
	case prAttachDataBin:
		if q.typ == ptBinary || q.typ == ptObject {
			p.mapiData = q.val
		}
	}
}

// codePage is the code page of the stream's 8-bit strings: the message's,
// else the one of its Internet form, else the one the writer's system
// used, else Windows-1252.
func (d *decoder) codePage() uint32 {
	for _, cp := range []uint32{d.messageCP, d.internetCP, d.oemCP} {
		if cp != 0 {
			return cp
		}
	}
	return codepage.Default
}

// finish decodes and copies what run gathered into the message.
func (d *decoder) finish() {
	m := d.msg
	cp := d.codePage()
	str := func(ts ...text) string {
		for _, t := range ts {
			if !t.empty() && d.take("string", len(t.b)) {
				if s := t.decode(cp); s != "" {
					return s
				}
			}
		}
		return ""
	}
	// The MAPI properties come first: they may be Unicode where the
	// legacy attributes are 8-bit.
	m.Subject = str(d.mapiSubject, d.subject)
	m.Body = str(d.mapiBody, d.body)
	// PidTagInternetMessageId is the RFC 5322 Message-ID; attMessageID
	// is a hex search key, better than nothing.
	m.MessageID = str(d.internetID, d.messageID)
	m.From = d.sender(str)
	if !d.html.empty() && d.take("HTML body", len(d.html.b)) {
		// A binary HTML body is in the message's Internet code page, the
		// charset of its MIME form.
		hcp := cp
		if d.htmlBinary && d.internetCP != 0 {
			hcp = d.internetCP
		}
		m.HTML = d.html.decode(hcp)
	}
	if len(d.rtf) > 0 && d.take("RTF body", len(d.rtf)) {
		m.RTFCompressed = bytes.Clone(d.rtf)
	}
	for i, p := range d.atts {
		a := Attachment{
			Filename: str(p.long, p.short, p.title, p.display),
			MimeType: str(p.mime),
		}
		// PR_ATTACH_DATA_BIN, or the object of PR_ATTACH_DATA_OBJ, holds
		// the attachment as MAPI sees it; attAttachData is the legacy
		// copy, the only one older writers send.
		data := p.mapiData
		if len(data) == 0 {
			data = p.data
		}
		if len(data) > 0 && d.take(fmt.Sprintf("attachment %d", i+1), len(data)) {
			a.Data = bytes.Clone(data)
		}
		m.Attachments = append(m.Attachments, a)
	}
	m.Errors = d.errs
}

// sender is the message's From: "Name <address>", or either alone.
func (d *decoder) sender(str func(...text) string) string {
	name := str(d.fromName, d.senderName)
	addr := str(d.senderSMTP)
	if addr == "" {
		// A triple's address is "TYPE:address"; only SMTP ones are
		// addresses in the gateway's sense, others are kept whole.
		addr = str(d.fromAddr, d.senderEmail)
		if len(addr) > 5 && strings.EqualFold(addr[:5], "SMTP:") {
			addr = addr[5:]
		}
	}
	switch {
	case name == "" || name == addr:
		return addr
	case addr == "":
		return name
	}
	return name + " <" + addr + ">"
}

// take charges n bytes to the budget and says whether they fit. A value
// that does not fit is dropped and reported; smaller ones after it may
// still fit, so that one large attachment cannot hide the others.
func (d *decoder) take(what string, n int) bool {
	if int64(n) > d.lim.MaxBytes {
		d.errorf("tnef: %s: %v: %d bytes, %d left", what, errLimit, n, d.lim.MaxBytes)
		return false
	}
	d.lim.MaxBytes -= int64(n)
	return true
}
