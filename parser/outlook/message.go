package outlook

import (
	"fmt"
	"mime"
	"net/mail"
	"strings"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

// reader carries the limits and the budget shared by a message and the
// messages embedded in it.
type reader struct {
	lim         Limits
	size        int64 // of the whole file
	used        int64 // bytes of property values read
	attachments int   // attachments read, at all depths
	errs        []string
}

func (rd *reader) errorf(where, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	rd.errs = append(rd.errs, msg)
}

// message reads the message in storage s, at depth 0 for the top message.
func (rd *reader) message(s *storage, depth int, where string, codePage int) *Message {
	hl := headerTop
	if depth > 0 {
		hl = headerEmbedded
	}
	o := rd.newObject(s, hl, where, codePage)
	m := &Message{
		Class:     o.string(pidMessageClass),
		Subject:   o.string(pidSubject),
		FromName:  o.firstString(pidSenderName, pidSentRepresentingName),
		DisplayTo: o.string(pidDisplayTo),
		MessageID: o.string(pidInternetMessageID),
		Headers:   o.string(pidTransportMessageHeaders),
		Body:      o.string(pidBody),
	}
	m.From = sender(o)
	m.Date = o.time(pidClientSubmitTime)
	if m.Date.IsZero() {
		m.Date = o.time(pidMessageDeliveryTime)
	}
	rd.bodies(o, m)
	rd.recipients(o, m)
	fromHeaders(m)
	rd.attachmentsOf(o, m, depth)
	return m
}

// sender picks the sender's SMTP address. PidTagSenderEmailAddress holds an
// Exchange X.500 DN ("/O=EXCHANGELABS/...") for senders of the same
// organisation; PidTagSenderSmtpAddress holds the SMTP form then.
func sender(o *object) string {
	for _, id := range []uint16{pidSenderSMTPAddress, pidSenderEmailAddress, pidSentRepresentingSMTP, pidSentRepresentingEmail} {
		if a := o.string(id); strings.Contains(a, "@") {
			return a
		}
	}
	return ""
}

// fromHeaders fills what the properties lacked from the transport headers,
// which a received message carries as they came over SMTP.
func fromHeaders(m *Message) {
	if m.Headers == "" || (m.From != "" && m.MessageID != "" && !m.Date.IsZero() && m.Subject != "") {
		return
	}
	hdr := strings.TrimLeft(m.Headers, "\r\n")
	// Exchange 2003 and older open the block with a line that is not a
	// header field: "Microsoft Mail Internet Headers Version 2.0".
	if first, rest, ok := strings.Cut(hdr, "\n"); ok && !strings.Contains(first, ":") {
		hdr = rest
	}
	h, err := mail.ReadMessage(strings.NewReader(hdr + "\r\n\r\n"))
	if err != nil {
		return
	}
	if m.From == "" {
		if a, err := mail.ParseAddress(h.Header.Get("From")); err == nil {
			m.From = a.Address
			if m.FromName == "" {
				m.FromName = a.Name
			}
		}
	}
	if m.MessageID == "" {
		m.MessageID = strings.TrimSpace(h.Header.Get("Message-Id"))
	}
	if m.Date.IsZero() {
		if d, err := h.Header.Date(); err == nil {
			m.Date = d.UTC()
		}
	}
	if m.Subject == "" {
		dec := new(mime.WordDecoder)
		if s, err := dec.DecodeHeader(h.Header.Get("Subject")); err == nil {
			m.Subject = s
		}
	}
}

// bodies reads the HTML and RTF bodies. The HTML body is binary, in the
// message's Internet code page ([MS-OXCMSG] 2.2.1.32).
func (rd *reader) bodies(o *object, m *Message) {
	if b := o.binary(pidHTML); len(b) > 0 {
		cp := o.codePage
		if v, ok := o.int32(pidInternetCodepage); ok && v > 0 {
			cp = int(v)
		}
		m.HTML = codepage.Decode(trimNUL(b), cp)
	} else {
		m.HTML = o.string(pidHTML)
	}
	if c := o.binary(pidRtfCompressed); len(c) > 0 {
		rtf, err := decompressRTF(c, rd.lim.MaxBytes-rd.used)
		if err != nil {
			rd.errorf(o.where, "compressed RTF: %v", err)
		}
		if err := rd.spend(int64(len(rtf))); err != nil {
			rd.errorf(o.where, "compressed RTF: %v", err)
			return
		}
		m.RTF = string(rtf)
		if m.HTML == "" {
			m.HTML = htmlFromRTF(rtf)
		}
	}
}

// recipients reads the recipient objects, "__recip_version1.0_#XXXXXXXX".
func (rd *reader) recipients(o *object, m *Message) {
	for i, s := range o.s.childrenWithPrefix(recipPrefix) {
		r := rd.newObject(s, headerObject, joinWhere(o.where, fmt.Sprintf("recipient %d", i)), o.codePage)
		rc := Recipient{Name: r.string(pidDisplayName)}
		for _, id := range []uint16{pidSMTPAddress, pidEmailAddress} {
			if a := r.string(id); strings.Contains(a, "@") {
				rc.Email = a
				break
			}
		}
		if t, ok := r.int32(pidRecipientType); ok {
			// The high bits are flags ([MS-OXOMSG] 2.2.3.1).
			rc.Type = RecipientType(t & 0xf)
		}
		m.Recipients = append(m.Recipients, rc)
		addr := rc.Email
		if addr == "" {
			addr = rc.Name
		}
		switch rc.Type {
		case RecipientTo:
			m.To = append(m.To, addr)
		case RecipientCc:
			m.Cc = append(m.Cc, addr)
		}
	}
}

func joinWhere(outer, inner string) string {
	if outer == "" {
		return inner
	}
	return outer + ": " + inner
}
