package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// testCert returns a TLS certificate for 127.0.0.1 and the path of its
// PEM, to be used as CAFile.
func testCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fake"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, ca
}

// TestTLS: STARTTLS (smtp://) and implicit TLS (smtps://) both verify the
// server against CAFile and then authenticate; a certificate that does
// not verify stops the batch before any password is sent.
func TestTLS(t *testing.T) {
	cert, ca := testCert(t)
	for _, implicit := range []bool{false, true} {
		e := newEnv(t)
		f := &fakeSMTP{user: "u", pass: "p"}
		srv := smtp.NewServer(f)
		srv.Domain = "fake.example"
		srv.ErrorLog = log.New(io.Discard, "", 0)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		var l net.Listener
		var err error
		if implicit {
			l, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
		} else {
			l, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
		scheme := "smtp"
		if implicit {
			scheme = "smtps"
		}
		url := scheme + "://u:p@" + l.Addr().String()
		e.report("soc@hospital-a.example", "Phishing", phish)

		if _, err := e.sender(url).SendDue(e.ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s without CAFile: %v", scheme, err)
		}
		if f.authed != 0 {
			t.Errorf("%s: authenticated over an unverified connection", scheme)
		}
		e.now = e.now.Add(time.Hour)
		sent, err := e.sender(url, func(c *Config) { c.CAFile = ca }).SendDue(e.ctx)
		if err != nil || sent != 2 || f.authed != 1 {
			t.Errorf("%s with CAFile: sent %d, %v, %d logins", scheme, sent, err, f.authed)
		}
	}
}
