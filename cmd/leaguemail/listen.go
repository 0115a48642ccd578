package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// listen opens the HTTP listener: HTTPS when [http] tls_cert is set.
// Plain HTTP is refused off loopback once TAXII keys exist: they would
// cross the network in clear (a TLS proxy in front listens on loopback).
func (g *gateway) listen(ctx context.Context) (net.Listener, error) {
	cfg := g.cfg
	if !cfg.TLS() && !cfg.LoopbackListen() {
		n, err := g.st.LiveTAXIIKeys(ctx)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, cfg.Errorf("http.listen", "%s is not a loopback address and %d TAXII key(s) exist: keys must not cross the network in clear; "+
				"set [http] tls_cert and tls_key, or listen on 127.0.0.1 behind a TLS proxy", cfg.HTTP.Listen, n)
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, cfg.Errorf("http.listen", "%v", err)
	}
	scheme := "http"
	if cfg.TLS() {
		certs, err := newCertFiles(cfg.HTTP.TLSCert, cfg.HTTP.TLSKey, g.log)
		if err != nil {
			ln.Close()
			return nil, cfg.Errorf("http.tls_cert", "%v", err)
		}
		ln = tls.NewListener(ln, &tls.Config{GetCertificate: certs.get, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}})
		scheme = "https"
	}
	g.log.Info("http listening", "addr", ln.Addr().String(), "scheme", scheme)
	if n, err := g.st.LiveTAXIIKeys(ctx); err == nil {
		g.log.Info("taxii: serving TAXII 2.1", "discovery", "/taxii2/", "api_root", "/taxii2/api/", "keys", n, "public", cfg.TAXII.Public)
	}
	return ln, nil
}

// certFiles serves the certificate of [http] tls_cert, read again when
// its files change, so that a renewed certificate (certbot, ACME) is
// served without a restart. A renewal that fails to load is logged and
// the old certificate stays.
type certFiles struct {
	certFile, keyFile string
	log               *slog.Logger
	mu                sync.Mutex
	cert              *tls.Certificate
	mod               time.Time
	checked           time.Time
}

// certCheckEvery is how often the files' times are looked at.
const certCheckEvery = time.Minute

func newCertFiles(certFile, keyFile string, log *slog.Logger) (*certFiles, error) {
	c := &certFiles{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certFiles) modTime() time.Time {
	var t time.Time
	for _, f := range []string{c.certFile, c.keyFile} {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t
}

func (c *certFiles) load() error {
	mod := c.modTime()
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("cannot load %s with its key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.mod = &cert, mod
	return nil
}

func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= certCheckEvery {
		c.checked = now
		if !c.modTime().Equal(c.mod) {
			if err := c.load(); err != nil {
				c.log.Error("https: the renewed certificate does not load; the old one is still served", "err", err)
			} else {
				c.log.Info("https: certificate reloaded", "file", c.certFile)
			}
		}
	}
	return c.cert, nil
}
