package e2etest

import (
	"bytes"
	"fmt"
	"net/mail"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/jhillyerd/enmime/v2"
)

// Send submits raw to the test Postfix over plain SMTP, as another mail
// server on the internet would hand it over (127.0.0.1 is in mynetworks),
// with the envelope sender from and the recipients to.
func (e *Env) Send(from string, to []string, raw []byte) {
	e.T.Helper()
	if err := send(e.Postfix.Addr, from, to, raw); err != nil {
		e.T.Fatalf("e2etest: send to postfix: %v", err)
	}
}

func send(addr, from string, to []string, raw []byte) error {
	// Not smtp.SendMail: it would take Postfix's STARTTLS offer and then
	// refuse its self-signed certificate.
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("client.e2e.invalid"); err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("MAIL FROM:<%s>: %w", from, err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("RCPT TO:<%s>: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	return c.Quit()
}

// Compose is a mail a scenario sends.
type Compose struct {
	From, To, Subject string
	MessageID         string // angle brackets included
	InReplyTo         string // angle brackets included; "" for none
	References        []string
	Body              string // text/plain; lines end in LF or CRLF
}

// Bytes returns the mail as RFC 5322 text with CRLF line ends.
func (m Compose) Bytes() []byte {
	var b bytes.Buffer
	h := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	h("From", m.From)
	h("To", m.To)
	h("Subject", m.Subject)
	h("Date", time.Now().Format(time.RFC1123Z))
	h("Message-ID", m.MessageID)
	h("In-Reply-To", m.InReplyTo)
	h("References", strings.Join(m.References, " "))
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "8bit")
	b.WriteString("\r\n")
	body := strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\r\n") {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// Mail is a mail read from a mailbox over IMAP.
type Mail struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
	*enmime.Envelope
}

// Header returns the first value of a header field, decoded.
func (m *Mail) Header(key string) string { return m.GetHeader(key) }

// Addresses returns the bare addresses of an address header field.
func (m *Mail) Addresses(key string) []string {
	list, err := mail.ParseAddressList(m.GetHeader(key))
	if err != nil {
		return nil
	}
	var out []string
	for _, a := range list {
		out = append(out, a.Address)
	}
	return out
}

// Mailbox reads every mail of a user's folder over IMAP, without setting
// \Seen.
func (e *Env) Mailbox(user, folder string) []*Mail {
	e.T.Helper()
	var out []*Mail
	for _, m := range e.Dovecot.Messages(e.T, user, folder) {
		env, err := enmime.ReadEnvelope(bytes.NewReader(m.Raw))
		if err != nil {
			e.T.Fatalf("%s %s UID %d: %v", user, folder, m.UID, err)
		}
		out = append(out, &Mail{UID: m.UID, Flags: m.Flags, Raw: m.Raw, Envelope: env})
	}
	return out
}

// WaitMail waits up to limit for a mail in a user's folder for which
// match is true, and returns it; what names it in the failure.
func (e *Env) WaitMail(user, folder, what string, limit time.Duration, match func(*Mail) bool) *Mail {
	e.T.Helper()
	var found *Mail
	var seen []string
	WaitFor(e.T, limit, what+" in "+user+" "+folder, func() bool {
		seen = seen[:0]
		for _, m := range e.Mailbox(user, folder) {
			if match(m) {
				found = m
				return true
			}
			seen = append(seen, m.Header("Subject"))
		}
		return false
	}, func() string { return fmt.Sprintf("mails there: %q", seen) })
	return found
}

// SubjectHas matches a mail whose Subject contains every one of parts.
func SubjectHas(parts ...string) func(*Mail) bool {
	return func(m *Mail) bool {
		s := m.Header("Subject")
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	}
}

// WaitFor polls cond every 50ms until it is true, and fails the test after
// limit, with what was awaited and, if given, what explain says.
func WaitFor(t testing.TB, limit time.Duration, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("gave up after %v waiting for %s", limit, what)
			for _, ex := range explain {
				msg += "; " + ex()
			}
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
