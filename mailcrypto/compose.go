package mailcrypto

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
)

// protectedFields are the header fields copied into the encrypted part
// (RFC 9788 section 4.2: the fields a reader shows and answers with).
var protectedFields = map[string]bool{
	"From": true, "To": true, "Cc": true, "Reply-To": true, "Subject": true, "Date": true,
	"Message-ID": true, "In-Reply-To": true, "References": true,
}

// tagPattern finds the ticket tag in a Subject: "[League #12]".
var tagPattern = regexp.MustCompile(`\[[^\[\]\r\n]{1,40} #[0-9]{1,12}\]`)

// OuterSubject is the Subject an encrypted mail shows outside its
// encryption: neutral, but with the ticket tag kept so that replies
// thread and a CERT's ticket system files it (RFC 9788 section 4.5
// advises "[...]"; the tag is the one thing we must keep).
func OuterSubject(subject string) string {
	if tag := tagPattern.FindString(subject); tag != "" {
		return tag + " Encrypted message"
	}
	return "Encrypted message"
}

func boundary() string {
	var b [12]byte
	rand.Read(b[:])
	return "=_lm_" + hex.EncodeToString(b[:])
}

// content is the body of msg as a MIME entity of its own: the Content-*
// fields of the message, the blank line, the body.
func content(e entity) []byte {
	var b bytes.Buffer
	hasType := false
	for _, f := range e.header {
		if isContent(f.name) {
			b.Write(f.raw)
			hasType = hasType || f.name == "Content-Type"
		}
	}
	if !hasType {
		b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n")
	}
	b.WriteString("\r\n")
	b.Write(e.body)
	return b.Bytes()
}

// outer writes msg's message fields (not the Content-* ones, nor
// MIME-Version, which the caller writes), with subject replacing the
// Subject when it is not empty.
func outer(b *bytes.Buffer, e entity, subject string) {
	for _, f := range e.header {
		if isContent(f.name) || f.name == "MIME-Version" {
			continue
		}
		if f.name == "Subject" && subject != "" {
			b.WriteString("Subject: " + subject + "\r\n")
			continue
		}
		b.Write(f.raw)
	}
	b.WriteString("MIME-Version: 1.0\r\n")
}

// Sign makes msg (an RFC 5322 message with CRLF line ends and a 7-bit
// body, as notify renders it) a PGP/MIME signed message (RFC 3156 section
// 5): multipart/signed whose first part is the original body with its
// Content-* fields, byte for byte as sent, and whose second is the
// league's detached signature over exactly those bytes.
func (l *League) Sign(msg []byte) ([]byte, error) {
	e, err := splitEntity(crlf(msg))
	if err != nil {
		return nil, err
	}
	signed := content(e)
	signer, err := pgp.Sign().SigningKeys(l.ring).Detached().New()
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig, err := signer.Sign(signed, crypto.Armor)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	bd := boundary()
	var b bytes.Buffer
	outer(&b, e, "")
	// micalg names the hash the signature used (the profile's SHA-256).
	fmt.Fprintf(&b, "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n\tprotocol=\"application/pgp-signature\"; boundary=\"%s\"\r\n\r\n", bd)
	b.WriteString("This is an OpenPGP/MIME signed message (RFC 4880 and 3156).\r\n")
	fmt.Fprintf(&b, "--%s\r\n", bd)
	b.Write(signed)
	fmt.Fprintf(&b, "\r\n--%s\r\n", bd)
	b.WriteString("Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n")
	b.WriteString("Content-Description: OpenPGP digital signature\r\n")
	b.WriteString("Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n")
	b.Write(crlf(sig))
	fmt.Fprintf(&b, "\r\n--%s--\r\n", bd)
	return b.Bytes(), nil
}

// Encrypt makes msg a PGP/MIME encrypted message (RFC 3156 section 4) to
// the recipients' keys, signed inside by signer when it is not nil (RFC
// 3156 section 6.2, one OpenPGP message both signed and encrypted). The
// encrypted part carries the message's own header fields (RFC 9788
// "protected headers": the real Subject lives only there) and the outer
// Subject becomes OuterSubject.
func Encrypt(msg []byte, to []*Key, signer *League) ([]byte, error) {
	if len(to) == 0 {
		return nil, errors.New("encrypt: no recipient key")
	}
	e, err := splitEntity(crlf(msg))
	if err != nil {
		return nil, err
	}
	out := OuterSubject(e.get("Subject"))

	inner := protectedInner(e)

	recipients, err := keyRing(to)
	if err != nil {
		return nil, err
	}
	eb := pgp.Encryption().Recipients(recipients)
	if signer != nil {
		eb = eb.SigningKeys(signer.ring)
	}
	enc, err := eb.New()
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	pm, err := enc.Encrypt(inner)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	armored, err := pm.ArmorBytes()
	if err != nil {
		return nil, fmt.Errorf("encrypt: armor: %w", err)
	}
	bd := boundary()
	var b bytes.Buffer
	outer(&b, e, out)
	fmt.Fprintf(&b, "Content-Type: multipart/encrypted;\r\n\tprotocol=\"application/pgp-encrypted\"; boundary=\"%s\"\r\n\r\n", bd)
	b.WriteString("This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156).\r\n")
	fmt.Fprintf(&b, "--%s\r\n", bd)
	b.WriteString("Content-Type: application/pgp-encrypted\r\n")
	b.WriteString("Content-Description: PGP/MIME version identification\r\n\r\n")
	b.WriteString("Version: 1\r\n\r\n")
	fmt.Fprintf(&b, "--%s\r\n", bd)
	b.WriteString("Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n")
	b.WriteString("Content-Description: OpenPGP encrypted message\r\n")
	b.WriteString("Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n")
	b.Write(crlf(armored))
	fmt.Fprintf(&b, "\r\n--%s--\r\n", bd)
	return b.Bytes(), nil
}

// protectedInner is the entity that goes inside the encryption: the
// Content-Type marked as carrying protected headers (hp="cipher", RFC
// 9788; protected-headers="v1", the draft that Thunderbird and others
// read), the message's own fields, then what each looks like outside
// (HP-Outer, RFC 9788 section 2.2), then the body.
func protectedInner(e entity) []byte {
	out := OuterSubject(e.get("Subject"))
	var inner bytes.Buffer
	hasType := false
	for _, f := range e.header {
		if f.name == "Content-Type" {
			v := strings.TrimRight(string(f.raw), "\r\n")
			inner.WriteString(v + ";\r\n\tprotected-headers=\"v1\"; hp=\"cipher\"\r\n")
			hasType = true
		} else if isContent(f.name) {
			inner.Write(f.raw)
		}
	}
	if !hasType {
		inner.WriteString("Content-Type: text/plain; charset=us-ascii; protected-headers=\"v1\"; hp=\"cipher\"\r\n")
	}
	var hpOuter bytes.Buffer
	for _, f := range e.header {
		if !protectedFields[f.name] {
			continue
		}
		inner.Write(f.raw)
		if f.name == "Subject" {
			hpOuter.WriteString("HP-Outer: Subject: " + out + "\r\n")
		} else {
			hpOuter.WriteString("HP-Outer: " + strings.TrimRight(string(f.raw), "\r\n") + "\r\n")
		}
	}
	inner.Write(hpOuter.Bytes())
	inner.WriteString("\r\n")
	inner.Write(e.body)

	return inner.Bytes()
}
