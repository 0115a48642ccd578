package dovecottest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

func (s *Server) dial(user string) (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(s.Addr, nil)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, Password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Client returns a client logged in as user over the plain listener, closed
// at the end of the test.
func (s *Server) Client(t testing.TB, user string) *imapclient.Client {
	t.Helper()
	c, err := s.dial(user)
	if err != nil {
		t.Fatalf("dovecottest: login as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Append appends raw to a user's mailbox through c and returns its UID.
func Append(c *imapclient.Client, mailbox string, raw []byte) (imap.UID, error) {
	cmd := c.Append(mailbox, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return 0, err
	}
	if err := cmd.Close(); err != nil {
		return 0, err
	}
	data, err := cmd.Wait()
	if err != nil {
		return 0, err
	}
	return data.UID, nil
}

// Append appends raw to a user's mailbox over a connection of its own.
func (s *Server) Append(t testing.TB, user, mailbox string, raw []byte) imap.UID {
	t.Helper()
	c, err := s.dial(user)
	if err != nil {
		t.Fatalf("dovecottest: login as %s: %v", user, err)
	}
	defer c.Close()
	uid, err := Append(c, mailbox, raw)
	if err != nil {
		t.Fatalf("dovecottest: append to %s of %s: %v", mailbox, user, err)
	}
	c.Logout().Wait()
	return uid
}

// Message is a message on the server.
type Message struct {
	UID   imap.UID
	Flags []imap.Flag
	Raw   []byte
}

// Messages returns the messages of a user's mailbox, by UID, without
// setting \Seen; none when the mailbox does not exist.
func (s *Server) Messages(t testing.TB, user, mailbox string) []Message {
	t.Helper()
	c, err := s.dial(user)
	if err != nil {
		t.Fatalf("dovecottest: login as %s: %v", user, err)
	}
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil
	}
	if sel.NumMessages == 0 {
		return nil
	}
	section := &imap.FetchItemBodySection{Peek: true}
	all := imap.SeqSet{{Start: 1, Stop: 0}} // 1:*
	bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		t.Fatalf("dovecottest: fetch %s of %s: %v", mailbox, user, err)
	}
	var msgs []Message
	for _, b := range bufs {
		msgs = append(msgs, Message{UID: b.UID, Flags: b.Flags, Raw: b.FindBodySection(section)})
	}
	slices.SortFunc(msgs, func(a, b Message) int { return int(a.UID) - int(b.UID) })
	return msgs
}

// Count returns how many messages a user's mailbox holds (0 when it does not exist).
func (s *Server) Count(t testing.TB, user, mailbox string) int {
	t.Helper()
	c, err := s.dial(user)
	if err != nil {
		t.Fatalf("dovecottest: login as %s: %v", user, err)
	}
	defer c.Close()
	data, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0
	}
	return int(*data.NumMessages)
}

// Mail returns a small test message with the given Message-ID.
func Mail(messageID, subject, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Hospital SOC <soc@hospital.example>\r\n")
	fmt.Fprintf(&b, "To: report@league.example\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", subject)
	fmt.Fprintf(&b, "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n")
	fmt.Fprintf(&b, "Message-ID: <%s>\r\n", messageID)
	fmt.Fprintf(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	fmt.Fprintf(&b, "%s\r\n", body)
	return b.Bytes()
}
