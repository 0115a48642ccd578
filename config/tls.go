package config

import (
	"crypto/tls"
	"net"
)

// checkTLS checks [http] tls_cert and tls_key: both or neither, and a
// pair that loads, so that a bad file stops the gateway at start with
// the key named, not at the first client.
func (c *Config) checkTLS() error {
	h := c.HTTP
	switch {
	case h.TLSCert == "" && h.TLSKey == "":
		return nil
	case h.TLSKey == "":
		return c.Errorf("http.tls_key", "missing: tls_cert is set; give the PEM file of its private key")
	case h.TLSCert == "":
		return c.Errorf("http.tls_cert", "missing: tls_key is set; give the PEM file of the certificate (chain)")
	case h.Listen == "":
		return c.Errorf("http.tls_cert", "set, but http.listen is not: there is no listener to serve HTTPS on")
	}
	if _, err := tls.LoadX509KeyPair(h.TLSCert, h.TLSKey); err != nil {
		return c.Errorf("http.tls_cert", "cannot load %s with its key %s: %v", h.TLSCert, h.TLSKey, err)
	}
	return nil
}

// checkTAXII checks the shape of [taxii].
func (c *Config) checkTAXII() error {
	if c.TAXII.RatePerSecond < 0 {
		return c.Errorf("taxii.rate_per_second", "%v: want more than 0 (2 when unset)", c.TAXII.RatePerSecond)
	}
	if c.TAXII.Burst < 0 {
		return c.Errorf("taxii.burst", "%d: want 1 or more (60 when unset)", c.TAXII.Burst)
	}
	return nil
}

// TLS says whether the listener serves HTTPS itself.
func (c *Config) TLS() bool { return c.HTTP.TLSCert != "" }

// LoopbackListen says whether http.listen binds loopback addresses only
// (127.0.0.0/8, ::1, localhost).
func (c *Config) LoopbackListen() bool {
	host, _, err := net.SplitHostPort(c.HTTP.Listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
