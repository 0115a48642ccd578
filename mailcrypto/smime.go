package mailcrypto

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/smallstep/pkcs7"
)

func init() {
	// pkcs7 encrypts with DES-CBC unless told otherwise, through a package
	// variable: AES-256-CBC is what RFC 8551 requires readers to accept
	// and what OpenSSL and every mail client read.
	pkcs7.ContentEncryptionAlgorithm = pkcs7.EncryptionAlgorithmAES256CBC
}

// SMIME is the league's S/MIME certificate and private key.
type SMIME struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// LoadSMIME reads the league's PEM certificate and private key
// ([crypto] smime_cert, smime_key).
func LoadSMIME(certFile, keyFile string) (*SMIME, error) {
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("S/MIME certificate: %w", err)
	}
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("S/MIME key: %w", err)
	}
	s, err := ParseSMIME(cb, kb)
	if err != nil {
		return nil, fmt.Errorf("S/MIME %s, %s: %w", certFile, keyFile, err)
	}
	return s, nil
}

// ParseSMIME reads a PEM certificate and its PEM private key (PKCS #8,
// PKCS #1 or SEC 1).
func ParseSMIME(certPEM, keyPEM []byte) (*SMIME, error) {
	certs, err := ParseCerts(certPEM)
	if err != nil {
		return nil, err
	}
	kblock, _ := pem.Decode(keyPEM)
	if kblock == nil {
		return nil, errors.New("no PEM private key")
	}
	var key any
	if key, err = x509.ParsePKCS8PrivateKey(kblock.Bytes); err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(kblock.Bytes); err != nil {
			if key, err = x509.ParseECPrivateKey(kblock.Bytes); err != nil {
				return nil, errors.New("the private key is neither PKCS #8, PKCS #1 nor SEC 1")
			}
		}
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, errors.New("the private key cannot sign")
	}
	if !publicEqual(signer.Public(), certs[0].c.PublicKey) {
		return nil, errors.New("the private key is not the certificate's")
	}
	return &SMIME{cert: certs[0].c, key: signer}, nil
}

func publicEqual(a, b any) bool {
	switch a := a.(type) {
	case *rsa.PublicKey:
		return a.Equal(b)
	case *ecdsa.PublicKey:
		return a.Equal(b)
	}
	return false
}

// Cert is a contact's S/MIME certificate.
type Cert struct {
	c *x509.Certificate
}

// ParseCerts reads the PEM certificates in data.
func ParseCerts(data []byte) ([]*Cert, error) {
	var out []*Cert
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("read certificate: %w", err)
		}
		out = append(out, &Cert{c: c})
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate in it")
	}
	return out, nil
}

// PEM is the certificate, PEM-encoded.
func (c *Cert) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.c.Raw})
}

// Fingerprint is the SHA-256 of the certificate, upper-case hex.
func (c *Cert) Fingerprint() string {
	sum := sha256.Sum256(c.c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Addresses are the certificate's mail addresses: its subjectAltName
// rfc822Names, and the emailAddress of its subject (older certificates).
func (c *Cert) Addresses() []string {
	var out []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if strings.Count(a, "@") == 1 && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, a := range c.c.EmailAddresses {
		add(a)
	}
	oidEmail := []int{1, 2, 840, 113549, 1, 9, 1}
	for _, n := range c.c.Subject.Names {
		if n.Type.Equal(oidEmail) {
			if s, ok := n.Value.(string); ok {
				add(s)
			}
		}
	}
	return out
}

// Info describes the certificate at now, as KeyInfo does a key.
func (c *Cert) Info(now time.Time) KeyInfo {
	i := KeyInfo{Fingerprint: c.Fingerprint(), UserIDs: []string{c.c.Subject.String()}, Addresses: c.Addresses(),
		Created: c.c.NotBefore, Expires: c.c.NotAfter}
	_, rsaKey := c.c.PublicKey.(*rsa.PublicKey)
	switch {
	case now.After(c.c.NotAfter):
		i.Status = "expired"
	case now.Before(c.c.NotBefore):
		i.Status = "not valid yet"
	case !rsaKey:
		// pkcs7 encrypts session keys to RSA only.
		i.Status = "not an RSA certificate (cannot encrypt to it)"
	default:
		i.Status = "usable"
	}
	return i
}

// SignSMIME makes msg an S/MIME signed message (RFC 8551 section 3.5.3:
// multipart/signed with a detached application/pkcs7-signature).
func (s *SMIME) SignSMIME(msg []byte) ([]byte, error) {
	e, err := splitEntity(crlf(msg))
	if err != nil {
		return nil, err
	}
	signed := content(e)
	sig, err := s.detached(signed)
	if err != nil {
		return nil, err
	}
	bd := boundary()
	var b bytes.Buffer
	outer(&b, e, "")
	fmt.Fprintf(&b, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n\tmicalg=sha-256; boundary=\"%s\"\r\n\r\n", bd)
	b.WriteString("This is an S/MIME signed message.\r\n")
	fmt.Fprintf(&b, "--%s\r\n", bd)
	b.Write(signed)
	fmt.Fprintf(&b, "\r\n--%s\r\n", bd)
	b.WriteString("Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n")
	b.WriteString("Content-Transfer-Encoding: base64\r\n")
	b.WriteString("Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n")
	writeBase64(&b, sig)
	fmt.Fprintf(&b, "--%s--\r\n", bd)
	return b.Bytes(), nil
}

func (s *SMIME) detached(data []byte) ([]byte, error) {
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		return nil, fmt.Errorf("S/MIME sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSigner(s.cert, s.key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, fmt.Errorf("S/MIME sign: %w", err)
	}
	sd.Detach()
	return sd.Finish()
}

// EncryptSMIME makes msg an S/MIME enveloped message (RFC 8551 section
// 3.3) to the recipients' certificates, signed inside first when signer
// is not nil, with the same protected headers and outer Subject as
// Encrypt.
func EncryptSMIME(msg []byte, to []*Cert, signer *SMIME) ([]byte, error) {
	if len(to) == 0 {
		return nil, errors.New("encrypt: no recipient certificate")
	}
	e, err := splitEntity(crlf(msg))
	if err != nil {
		return nil, err
	}
	inner := protectedInner(e)
	if signer != nil {
		// Sign the inner entity as a message of its own, then encrypt it.
		sig, err := signer.detached(inner)
		if err != nil {
			return nil, err
		}
		bd := boundary()
		var sb bytes.Buffer
		fmt.Fprintf(&sb, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n\tmicalg=sha-256; boundary=\"%s\"\r\n\r\n", bd)
		fmt.Fprintf(&sb, "--%s\r\n", bd)
		sb.Write(inner)
		fmt.Fprintf(&sb, "\r\n--%s\r\n", bd)
		sb.WriteString("Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		writeBase64(&sb, sig)
		fmt.Fprintf(&sb, "--%s--\r\n", bd)
		inner = sb.Bytes()
	}
	var certs []*x509.Certificate
	for _, c := range to {
		certs = append(certs, c.c)
	}
	env, err := pkcs7.Encrypt(inner, certs)
	if err != nil {
		return nil, fmt.Errorf("S/MIME encrypt: %w", err)
	}
	var b bytes.Buffer
	outer(&b, e, OuterSubject(e.get("Subject")))
	b.WriteString("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"\r\n")
	b.WriteString("Content-Transfer-Encoding: base64\r\n")
	b.WriteString("Content-Disposition: attachment; filename=\"smime.p7m\"\r\n\r\n")
	writeBase64(&b, env)
	return b.Bytes(), nil
}

func writeBase64(b *bytes.Buffer, data []byte) {
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
}

func (p *opener) certAddresses(c *x509.Certificate) (fp string, addrs []string, known bool) {
	cc := &Cert{c: c}
	fp = cc.Fingerprint()
	for _, k := range p.o.Certs {
		if k.Fingerprint() == fp {
			return fp, k.Addresses(), true
		}
	}
	return fp, cc.Addresses(), false
}

// smimeVerdict checks a parsed signed-data against the known
// certificates: the signer's certificate must be one the operator
// imported (no CA chain is trusted by itself), valid when it signed.
func (p *opener) smimeVerdict(p7 *pkcs7.PKCS7) *Signature {
	s := &Signature{Method: "S/MIME"}
	signer := p7.GetOnlySigner()
	if signer == nil {
		s.Problem = "no single signer certificate in the signature"
		return s
	}
	fp, addrs, known := p.certAddresses(signer)
	s.Fingerprint = fp
	if err := p7.VerifyWithChainAtTime(nil, p.o.Now); err != nil {
		s.Problem = "the signature does not verify: " + err.Error()
		return s
	}
	if !known {
		s.Problem = fmt.Sprintf("signed by a certificate the league does not know (%s)", signer.Subject)
		return s
	}
	if p.o.Now.After(signer.NotAfter) || p.o.Now.Before(signer.NotBefore) {
		s.Problem = "the signer's certificate is not valid now"
		return s
	}
	s.Valid, s.Addresses = true, addrs
	return s
}

func (p *opener) smimeSigned(e entity, params map[string]string, depth int) ([]byte, bool) {
	return p.signedMultipart(e, params, depth, "S/MIME", "an S/MIME", "the signature cannot be read: ",
		func(signed, der []byte) (*Signature, error) {
			p7, err := pkcs7.Parse(der)
			if err != nil {
				return nil, err
			}
			p7.Content = signed
			return p.smimeVerdict(p7).seal(der), nil
		})
}

func (p *opener) smimeMIME(e entity, params map[string]string, depth int) ([]byte, bool) {
	der, err := decodeBody(e)
	if err != nil {
		return p.failed("S/MIME", "the S/MIME part cannot be read: "+err.Error())
	}
	p7, err := pkcs7.Parse(der)
	if err != nil {
		if strings.Contains(strings.ToLower(params["smime-type"]), "signed") {
			p.setSig(&Signature{Method: "S/MIME", Problem: "the signed data cannot be read: " + err.Error()}, depth)
			return nil, false
		}
		return p.failed("S/MIME", "not readable S/MIME (malformed or truncated): "+err.Error())
	}
	var clear []byte
	if len(p7.Signers) > 0 {
		// Opaque signed-data: the content is inside the signature.
		p.setSig(p.smimeVerdict(p7).seal(der), depth)
		clear = p7.Content
	} else {
		if p.o.SMIME == nil {
			return p.failed("S/MIME", "encrypted with S/MIME, and the league has no certificate configured ([crypto] smime_cert)")
		}
		clear, err = p7.Decrypt(p.o.SMIME.cert, p.o.SMIME.key)
		if err != nil {
			return p.failed("S/MIME", "cannot decrypt (not encrypted to the league's certificate?): "+err.Error())
		}
		p.op.Encrypted, p.op.Method = true, "S/MIME"
	}
	inner, err := splitEntity(crlf(clear))
	if err != nil {
		if p.op.Encrypted {
			return p.failed("S/MIME", "the decrypted content is not a MIME entity: "+err.Error())
		}
		return nil, false
	}
	msg := rewrap(e, inner)
	if next, ok := p.openInner(msg, depth); ok {
		return next, true
	}
	return msg, true
}
