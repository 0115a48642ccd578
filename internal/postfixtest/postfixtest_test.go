package postfixtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

// TestDeliverToDovecot sends one mail over STARTTLS and reads it back from
// the recipient's Dovecot mailbox; an unknown user and an access reply are
// refused at RCPT time; after Stop no Postfix process is left.
func TestDeliverToDovecot(t *testing.T) {
	dc := dovecottest.Start(t)
	pf := Start(t, dc.LMTPAddr, dovecottest.Users...)

	pem, err := os.ReadFile(pf.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := smtp.DialStartTLS(pf.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("test.invalid"); err != nil {
		t.Fatal(err)
	}
	raw := dovecottest.Mail("pf1@test.invalid", "through postfix", "hello")
	if err := c.SendMail("report@league.example", []string{"alex@volunteers.example"}, bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	err = c.SendMail("report@league.example", []string{"nobody@volunteers.example"}, bytes.NewReader(raw))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 550 {
		t.Errorf("unknown user: got %v, want 550", err)
	}
	pf.SetAccess(map[string]string{"test1@league.example": "451 4.7.1 try later"})
	c.Quit()

	c2, err := smtp.Dial(pf.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	err = c2.SendMail("report@league.example", []string{"test1@league.example"}, bytes.NewReader(raw))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 451 {
		t.Errorf("access 451: got %v, want 451", err)
	}
	c2.Quit()

	pf.WaitDelivered(10 * time.Second)
	msgs := dc.Messages(t, "alex@volunteers.example", "INBOX")
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Raw), "Subject: through postfix") {
		t.Fatalf("alex's INBOX: %d messages", len(msgs))
	}
	pf.Stop()
	if left := pf.processes(); len(left) > 0 {
		t.Errorf("processes left after Stop: %v", left)
	}
}
