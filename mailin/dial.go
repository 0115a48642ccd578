package mailin

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
)

// keepAlive makes the kernel notice a server that vanished without closing
// the connection (a dead link, a rebooted NAT) within about a minute, even
// while IDLE waits with no read deadline.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}

// dial connects to the server, protects the connection as the url says and
// logs in. The handler receives the server's unilateral data.
func (in *Intake) dial(ctx context.Context, h *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	addr := in.acct.Addr()
	// The token first: a token endpoint that is down costs no connection
	// to the mail server.
	var token string
	if in.cfg.Auth.OAuth() {
		var err error
		if token, err = in.cfg.Tokens.Token(ctx); err != nil {
			return nil, fmt.Errorf("imap: login as %q: %w", in.acct.Username, err)
		}
	}
	d := &net.Dialer{Timeout: in.cfg.Timeout, KeepAliveConfig: keepAlive}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("imap: connect: %w", err)
	}
	// One deadline covers greeting, TLS and login: the client has none of
	// its own for some of these steps, and ctx must be able to stop them.
	timer := time.AfterFunc(in.cfg.Timeout, func() { conn.Close() })
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	c, err := in.handshake(ctx, conn, h)
	if err == nil {
		if in.cfg.Auth.OAuth() {
			err = in.loginOAuth(ctx, c, token)
		} else {
			err = in.login(c)
		}
	}
	if err != nil {
		conn.Close()
		if c != nil {
			c.Close()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return c, nil
}

func (in *Intake) handshake(ctx context.Context, conn net.Conn, h *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	opts := &imapclient.Options{TLSConfig: in.tls, UnilateralDataHandler: h}
	var c *imapclient.Client
	switch in.acct.Security {
	case ImplicitTLS:
		cfg := in.tls.Clone()
		cfg.NextProtos = []string{"imap"}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("imap: tls with %s: %w", in.acct.Addr(), err)
		}
		c = imapclient.New(tc, opts)
	case StartTLS:
		var err error
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return nil, fmt.Errorf("imap: starttls with %s: %w", in.acct.Addr(), err)
		}
	case NoTLS:
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		return c, fmt.Errorf("imap: greeting of %s: %w", in.acct.Addr(), err)
	}
	return c, nil
}

// login uses AUTHENTICATE PLAIN where the server offers it, else LOGIN,
// unless the url forces one.
func (in *Intake) login(c *imapclient.Client) error {
	caps := c.Caps()
	plain := in.acct.Auth == "plain" || in.acct.Auth == "" && caps.Has(imap.AuthCap(sasl.Plain))
	var err error
	if plain {
		err = c.Authenticate(sasl.NewPlainClient("", in.acct.Username, in.acct.Password))
	} else {
		if caps.Has(imap.CapLoginDisabled) {
			return fmt.Errorf("imap: login as %q: the server disables LOGIN and offers no AUTH=PLAIN", in.acct.Username)
		}
		err = c.Login(in.acct.Username, in.acct.Password).Wait()
	}
	if err != nil {
		return fmt.Errorf("imap: login as %q: %w", in.acct.Username, err)
	}
	return nil
}
