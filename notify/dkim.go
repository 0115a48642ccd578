package notify

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/emersion/go-msgauth/dkim"
)

// DKIM says how to sign outgoing mail; a zero DKIM signs nothing.
type DKIM struct {
	Selector string // the key's selector: SELECTOR._domainkey.DOMAIN
	Domain   string // the signing domain, d=; aligned with From's domain
	KeyFile  string // PEM: PKCS#1 or PKCS#8 RSA, or PKCS#8 Ed25519
}

// signedHeaders are the fields the signature covers (RFC 6376 section
// 5.4.1): what a reader sees and what threads the mail. From is listed
// twice so that no second From can be added without breaking it.
var signedHeaders = []string{
	"From", "From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
	"Reply-To", "Auto-Submitted", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	// RFC 8058 section 4: a one-click unsubscription must be signed.
	"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post",
}

func loadDKIM(c DKIM) (*dkim.SignOptions, error) {
	if c.Selector == "" && c.Domain == "" && c.KeyFile == "" {
		return nil, nil
	}
	if c.Selector == "" || c.Domain == "" || c.KeyFile == "" {
		return nil, errors.New("dkim: give selector, domain and key file together")
	}
	pemBytes, err := os.ReadFile(c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("dkim: %w", err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, fmt.Errorf("dkim: %s holds no PEM block", c.KeyFile)
	}
	var signer crypto.Signer
	switch block.Type {
	case "RSA PRIVATE KEY":
		signer, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		var k any
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		switch k := k.(type) {
		case *rsa.PrivateKey:
			signer = k
		case ed25519.PrivateKey:
			signer = k
		default:
			if err == nil {
				err = fmt.Errorf("a %T key: want RSA or Ed25519", k)
			}
		}
	default:
		err = fmt.Errorf("PEM block %q: want a private key", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("dkim: key %s: %w", c.KeyFile, err)
	}
	if k, ok := signer.(*rsa.PrivateKey); ok && k.N.BitLen() < 1024 {
		return nil, fmt.Errorf("dkim: key %s: %d bits: receivers ignore RSA keys under 1024 bits", c.KeyFile, k.N.BitLen())
	}
	return &dkim.SignOptions{
		Domain: c.Domain, Selector: c.Selector, Signer: signer, Hash: crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: signedHeaders,
	}, nil
}

// sign returns msg with a DKIM-Signature field in front.
func sign(opts *dkim.SignOptions, msg []byte) ([]byte, error) {
	var b bytes.Buffer
	b.Grow(len(msg) + 600)
	if err := dkim.Sign(&b, bytes.NewReader(msg), opts); err != nil {
		return nil, fmt.Errorf("dkim sign: %w", err)
	}
	return b.Bytes(), nil
}
