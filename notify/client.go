package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// tlsConfig verifies the server against the system roots, or against the
// PEM certificates of caFile when given.
func tlsConfig(host, caFile string) (*tls.Config, error) {
	c := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("smtp ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp ca file %s: no PEM certificate in it", caFile)
		}
		c.RootCAs = pool
	}
	return c, nil
}

// connect opens a session with the submission server: TCP, TLS as the url
// says, EHLO with our name, and AUTH PLAIN when the url has a user, only
// ever over TLS or to a loopback host (ParseURL allows no other plain
// text).
func (s *Sender) connect(ctx context.Context) (*smtp.Client, error) {
	if !s.cfg.Auth.OAuth() {
		return s.session(ctx, "")
	}
	return s.connectOAuth(ctx)
}

// session dials, says EHLO and authenticates, with token when the login
// is by OAuth.
func (s *Sender) session(ctx context.Context, token string) (*smtp.Client, error) {
	addr := s.srv.Addr()
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	var c *smtp.Client
	switch s.srv.Security {
	case ImplicitTLS:
		tc := tls.Client(conn, s.tls)
		hctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("connect to %s: tls: %w", addr, err)
		}
		c = smtp.NewClient(tc)
	case StartTLS:
		// go-smtp says EHLO as "localhost" before STARTTLS; the EHLO after
		// it, which is what the server keeps, says our name (Hello below).
		c, err = smtp.NewClientStartTLS(conn, s.tls)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("connect to %s: starttls: %w", addr, err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	c.CommandTimeout = s.cfg.Timeout
	if err := c.Hello(s.cfg.HelloName); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect to %s: ehlo: %w", addr, err)
	}
	if s.cfg.Auth.OAuth() {
		if err := s.authOAuth(c, token); err != nil {
			c.Close()
			return nil, fmt.Errorf("connect to %s: %w", addr, err)
		}
		return c, nil
	}
	if s.srv.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok || !c.SupportsAuth("PLAIN") {
			c.Close()
			return nil, fmt.Errorf("connect to %s: the server offers no AUTH PLAIN", addr)
		}
		if err := c.Auth(sasl.NewPlainClient("", s.srv.Username, s.srv.Password)); err != nil {
			c.Close()
			// The error is the server's reply; it never holds the password.
			return nil, fmt.Errorf("connect to %s: auth as %s: %w", addr, s.srv.Username, err)
		}
	}
	return c, nil
}

// transact sends one mail over c: MAIL FROM, RCPT TO each recipient, DATA.
// A recipient refused for now (4xx) puts the whole mail off before DATA,
// so that no recipient gets it twice; recipients refused for good (5xx)
// are returned in refused while the others get the mail; when none is
// left, the first 5xx is returned.
func transact(c *smtp.Client, from string, rcpts []string, msg []byte) (refused map[string]error, err error) {
	if err := c.Mail(from, &smtp.MailOptions{Size: int64(len(msg))}); err != nil {
		return nil, err
	}
	var later, firstRefusal error
	accepted := 0
	for _, r := range rcpts {
		err := c.Rcpt(r, nil)
		if err == nil {
			accepted++
			continue
		}
		switch classify(err) {
		case permanent:
			if refused == nil {
				refused = map[string]error{}
			}
			refused[r] = err
			if firstRefusal == nil {
				firstRefusal = err
			}
		case temporary:
			if later == nil {
				later = err
			}
		default:
			return nil, err
		}
	}
	if later != nil {
		return nil, later
	}
	if accepted == 0 {
		return nil, firstRefusal
	}
	w, err := c.Data()
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return refused, nil
}
