package e2etest

import (
	"errors"
	"fmt"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

// Deliver hands a report to the league's contact mailbox without failing
// the test, so that it can be called from a goroutine while servers come
// and go: through Postfix, as the internet sends it, or, when Postfix is
// down, with an IMAP APPEND straight into Dovecot, as the league's backup
// MX would deliver it. It says which way the mail went.
func (e *Env) Deliver(from string, raw []byte) (via string, err error) {
	perr := send(e.Postfix.Addr, from, []string{Address}, raw)
	if perr == nil {
		return "postfix", nil
	}
	aerr := appendTo(e.Dovecot.Addr, Address, raw)
	if aerr == nil {
		return "imap", nil
	}
	return "", fmt.Errorf("deliver: %w", errors.Join(perr, aerr))
}

func appendTo(addr, user string, raw []byte) error {
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Login(user, dovecottest.Password).Wait(); err != nil {
		return err
	}
	if _, err := dovecottest.Append(c, "INBOX", raw); err != nil {
		return err
	}
	return c.Logout().Wait()
}
