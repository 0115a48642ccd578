package dovecottest

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

func TestServer(t *testing.T) {
	s := Start(t)
	raw := Mail("harness-1@test", "hello", "body")
	uid := s.Append(t, "report@league.example", "INBOX", raw)
	if uid == 0 {
		t.Fatal("Append: no UID")
	}
	s.Deliver("report@league.example", Mail("harness-2@test", "hello 2", "body"))
	msgs := s.Messages(t, "report@league.example", "INBOX")
	if len(msgs) != 2 || string(msgs[0].Raw) != string(raw) {
		t.Fatalf("Messages = %d messages, first %q", len(msgs), msgs[0].Raw)
	}
	if n := s.Count(t, "report@league.example", "INBOX"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}

	// Implicit TLS with the CA file.
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := imapclient.DialTLS(s.TLSAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatalf("DialTLS: %v", err)
	}
	if err := c.Login("abuse@league.example", Password).Wait(); err != nil {
		t.Fatalf("login over TLS: %v", err)
	}
	c.Close()

	if s.LMTPAddr != "" {
		conn, err := net.DialTimeout("tcp", s.LMTPAddr, 5*time.Second)
		if err != nil {
			t.Fatalf("LMTP: %v", err)
		}
		buf := make([]byte, 100)
		n, _ := conn.Read(buf)
		conn.Close()
		if string(buf[:3]) != "220" {
			t.Errorf("LMTP greeting %q", buf[:n])
		}
	}

	s.Restart()
	if n := s.Count(t, "report@league.example", "INBOX"); n != 2 {
		t.Errorf("after restart Count = %d, want 2", n)
	}
	s.SetUIDValidity("report@league.example", "INBOX", 4242)
	sel, err := s.Client(t, "report@league.example").Select("INBOX", nil).Wait()
	if err != nil || sel.UIDValidity != 4242 {
		t.Errorf("after SetUIDValidity: %v, UIDVALIDITY %d", err, sel.UIDValidity)
	}
}
