package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/hospital-league/leaguemail/parser"
)

// The demo's people use the servers as their mail clients would: they
// submit over SMTP and read their mailbox over IMAP.

// submit sends one mail to the demo's SMTP server, greeting with the
// sender's domain.
func submit(addr, from string, to []string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return fmt.Errorf("submitting mail from %s: %w", from, err)
	}
	defer c.Close()
	_, domain, _ := strings.Cut(from, "@")
	if err := c.Hello("mail." + domain); err != nil {
		return fmt.Errorf("submitting mail from %s: %w", from, err)
	}
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("submitting mail from %s: %w", from, err)
	}
	return c.Quit()
}

// readMailbox logs in to user's mailbox over IMAP and returns the first
// mail of its INBOX that match says is the one wanted, parsed, without
// marking anything read.
func readMailbox(addr, user string, match func(*parser.Message) bool) (*parser.Message, error) {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the mailbox of %s: %w", user, err)
	}
	defer c.Close()
	if err := c.Login(user, demoPassword).Wait(); err != nil {
		return nil, fmt.Errorf("reading the mailbox of %s: login: %w", user, err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("reading the mailbox of %s: %w", user, err)
	}
	if sel.NumMessages == 0 {
		return nil, nil
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	body := &imap.FetchItemBodySection{Peek: true}
	msgs, err := c.Fetch(all, &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{body}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("reading the mailbox of %s: %w", user, err)
	}
	for _, m := range msgs {
		p := parser.Parse(m.FindBodySection(body), parser.Options{})
		if match(p) {
			return p, c.Logout().Wait()
		}
	}
	return nil, c.Logout().Wait()
}
