package notify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/templates"
)

// autoSubmitted is the Auto-Submitted value of a kind of mail (RFC 3834
// section 5), "" for none. Answers that the gateway makes by itself are
// auto-replied; notices to triagers, which answer no one, auto-generated.
// Escalations, alerts and relayed replies leave on a triager's command
// with a triager's words: a CERT's ticket system must treat them as a
// person's mail and answer them.
func autoSubmitted(kind string) string {
	switch kind {
	case store.KindEscalation, store.KindAlert, store.KindReply, store.KindTakedown:
		return ""
	case store.KindTriagerNotice, store.KindTriagerUpdate, store.KindTriagerDigest,
		store.KindReminder, store.KindDailyDigest:
		return "auto-generated"
	}
	// ack, command-confirm, command-error, and any kind added later
	// without thought here: automatic is the safe side.
	return "auto-replied"
}

// withAttachments reports whether a kind carries the indicators as CSV and
// STIX attachments.
func withAttachments(kind string) bool {
	return kind == store.KindEscalation || kind == store.KindAlert
}

// Render builds the RFC 5322 message of outbox mail m from the templates
// and view v: headers from m (every value that may hold a reporter's text
// made safe by HeaderText), a plain-text part, an HTML part when the
// template set has one for the kind, and for escalations and alerts the
// indicators as league-N-indicators.csv and .stix.json. Lines end in
// CRLF; every part is 7-bit (quoted-printable or base64).
func Render(tmpl *templates.Set, m store.OutboxMail, v View) ([]byte, error) {
	name := m.Template
	if name == "" {
		name = m.Kind
	}
	name = tmpl.Lang(name, v.Lang)
	var raw, html bytes.Buffer
	if err := tmpl.Text(&raw, name, v); err != nil {
		return nil, err
	}
	text := bytes.NewBufferString(wrap(raw.String(), lineWidth))
	hasHTML, err := tmpl.HTML(&html, name, v)
	if err != nil {
		return nil, err
	}

	var b bytes.Buffer
	if err := writeHeaders(&b, m, v); err != nil {
		return nil, err
	}
	var atts []attachment
	if withAttachments(m.Kind) && m.Template != TemplateWithheld && len(v.All) > 0 {
		csvb, stixb, err := machineReadable(v)
		if err != nil {
			return nil, err
		}
		// Named by the ticket, so that two escalations saved to one
		// folder do not overwrite each other.
		base := fmt.Sprintf("league-%d-indicators", v.Ticket)
		atts = append(atts,
			attachment{base + ".csv", "text/csv", map[string]string{"charset": "utf-8", "header": "present"}, csvb},
			attachment{base + ".stix.json", "application/stix+json", map[string]string{"version": "2.1"}, stixb})
	}
	queued, err := queuedAttachments(m) // queued.go
	if err != nil {
		return nil, err
	}
	atts = append(atts, queued...)
	writeBody(&b, text.Bytes(), html.Bytes(), hasHTML, atts)
	return b.Bytes(), nil
}

func writeHeaders(b *bytes.Buffer, m store.OutboxMail, v View) error {
	from, err := address(m.From)
	if err != nil {
		return &permanentError{fmt.Errorf("From: %w", err)}
	}
	if len(m.Recipients) == 0 {
		return &permanentError{fmt.Errorf("no recipients")}
	}
	var to []string
	for _, r := range m.Recipients {
		a, err := address(r)
		if err != nil {
			return &permanentError{fmt.Errorf("To: %w", err)}
		}
		to = append(to, a)
	}
	if !messageID(m.MessageID) {
		return &permanentError{fmt.Errorf("Message-ID %q is not a message id", m.MessageID)}
	}
	date := v.Now
	if date.IsZero() {
		date = time.Now()
	}
	writeField(b, "Date", date.Format(time.RFC1123Z))
	// mail.Address encodes and quotes the display name; the name is ours.
	writeField(b, "From", (&mail.Address{Name: v.LeagueName, Address: from}).String())
	writeField(b, "To", strings.Join(to, ", "))
	if m.ReplyTo != "" {
		rt, err := address(m.ReplyTo)
		if err != nil {
			return &permanentError{fmt.Errorf("Reply-To: %w", err)}
		}
		writeField(b, "Reply-To", rt)
	}
	writeField(b, "Subject", HeaderText(m.Subject))
	writeField(b, "Message-ID", m.MessageID)
	// In-Reply-To and References may come from a reporter's mail: ids
	// that are not plain ids are dropped.
	if messageID(m.InReplyTo) {
		writeField(b, "In-Reply-To", m.InReplyTo)
	}
	var refs []string
	for _, r := range m.References {
		if messageID(r) {
			refs = append(refs, r)
		}
	}
	if len(refs) > 0 {
		writeField(b, "References", strings.Join(refs, " "))
	}
	if as := autoSubmitted(m.Kind); as != "" {
		writeField(b, "Auto-Submitted", as)
		// Exchange and Outlook send no out-of-office answer to this.
		writeField(b, "X-Auto-Response-Suppress", "All")
	}
	writeListHeaders(b, v)
	writeField(b, "MIME-Version", "1.0")
	return nil
}

type attachment struct {
	name, contentType string
	params            map[string]string
	data              []byte
}

// writeBody writes the Content-Type of the top part, the blank line and
// the body: text alone, multipart/alternative of text and HTML, and that
// inside multipart/mixed when there are attachments.
func writeBody(b *bytes.Buffer, text, html []byte, hasHTML bool, atts []attachment) {
	textPart := func(w *multipart.Writer, ctype string, body []byte) {
		pw, _ := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {ctype},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		writeQP(pw, body)
	}
	alternative := func(w *multipart.Writer) {
		textPart(w, "text/plain; charset=utf-8", text)
		textPart(w, "text/html; charset=utf-8", html)
	}
	switch {
	case !hasHTML && len(atts) == 0:
		writeField(b, "Content-Type", "text/plain; charset=utf-8")
		writeField(b, "Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(b, text)
		return
	case len(atts) == 0:
		w := multipart.NewWriter(b)
		writeField(b, "Content-Type", "multipart/alternative; boundary="+w.Boundary())
		b.WriteString("\r\n")
		alternative(w)
		w.Close()
		return
	}
	w := multipart.NewWriter(b)
	writeField(b, "Content-Type", "multipart/mixed; boundary="+w.Boundary())
	b.WriteString("\r\n")
	if hasHTML {
		var inner bytes.Buffer
		iw := multipart.NewWriter(&inner)
		alternative(iw)
		iw.Close()
		pw, _ := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"multipart/alternative; boundary=" + iw.Boundary()}})
		pw.Write(inner.Bytes())
	} else {
		textPart(w, "text/plain; charset=utf-8", text)
	}
	for _, a := range atts {
		pw, _ := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(a.contentType, with(a.params, "name", a.name))},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		writeBase64(pw, a.data)
	}
	w.Close()
}

// writeQP writes text as quoted-printable with CRLF line ends, whatever
// line ends the template had.
func writeQP(w interface{ Write([]byte) (int, error) }, text []byte) {
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
	qp := quotedprintable.NewWriter(w)
	for i, line := range bytes.Split(text, []byte("\n")) {
		if i > 0 {
			// A hard line break: quotedprintable in text mode writes CRLF.
			qp.Write([]byte("\r\n"))
		}
		qp.Write(line)
	}
	qp.Close()
	w.Write([]byte("\r\n"))
}

func writeBase64(w interface{ Write([]byte) (int, error) }, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		w.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	w.Write([]byte(enc + "\r\n"))
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for k, v := range m {
		out[k] = v
	}
	return out
}
