package main

import (
	"context"
	"crypto/tls"
	"net"
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
		cert, err := tls.LoadX509KeyPair(cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
		if err != nil {
			ln.Close()
			return nil, cfg.Errorf("http.tls_cert", "cannot load %s with its key %s: %v", cfg.HTTP.TLSCert, cfg.HTTP.TLSKey, err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}})
		scheme = "https"
	}
	g.log.Info("http listening", "addr", ln.Addr().String(), "scheme", scheme)
	return ln, nil
}
