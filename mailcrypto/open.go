package mailcrypto

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/constants"
	"github.com/ProtonMail/gopenpgp/v3/crypto"
)

// Options is what Open may use.
type Options struct {
	// League decrypts OpenPGP mail to the league's key; without it such
	// mail is reported as undecryptable.
	League *League
	// SMIME decrypts S/MIME enveloped mail; nil reports it undecryptable.
	SMIME *SMIME
	// Known are the contacts' OpenPGP keys and S/MIME certificates whose
	// signatures are verified; a signature by any other key is reported,
	// never trusted.
	Known []*Key
	// Certs are the contacts' S/MIME certificates.
	Certs []*Cert
	// Now is the time signatures are checked at (time.Now when zero).
	Now time.Time
}

// Opened is an incoming mail after decryption and verification.
type Opened struct {
	// Clear is the mail to parse: decrypted or unwrapped, or the raw mail
	// itself when it was neither encrypted nor signed, or could not be
	// decrypted.
	Clear []byte `json:"-"`
	// Encrypted says that the mail came encrypted; Method how ("OpenPGP",
	// "S/MIME").
	Encrypted bool   `json:"encrypted,omitempty"`
	Method    string `json:"method,omitempty"`
	// Error says why an encrypted mail could not be decrypted; Clear is
	// then the raw mail.
	Error string `json:"error,omitempty"`
	// Signature is the verdict on the mail's signature, nil when it had
	// none.
	Signature *Signature `json:"signature,omitempty"`
}

// Signature is the verdict on a mail's signature: the value triage reads
// to let a triager's signed mail run commands (DESIGN.md trust model).
type Signature struct {
	Method string `json:"method"` // "OpenPGP", "S/MIME"
	// Valid says that the signature verifies, by a known key that was
	// usable when it signed. Problem says why not otherwise.
	Valid   bool   `json:"valid"`
	Problem string `json:"problem,omitempty"`
	// Fingerprint is the signing key's (OpenPGP) or certificate's (S/MIME,
	// SHA-256) fingerprint; Addresses the mail addresses it is bound to
	// (the key's user IDs, the certificate's addresses).
	Fingerprint string    `json:"fingerprint,omitempty"`
	Addresses   []string  `json:"addresses,omitempty"`
	Created     time.Time `json:"created,omitzero"`
	// Whole says that the signature covers the whole body of the mail,
	// not one part of it: only then does it vouch for the commands.
	Whole bool `json:"whole"`
	// Digest identifies this signature over this content (SHA-256 of the
	// signer, the signature's time and the signed bytes): the same signed
	// mail sent again under other headers has the same Digest, so that a
	// replay can be told from a new mail.
	Digest string `json:"digest,omitempty"`
}

// seal sets s.Digest for the signed content.
func (s *Signature) seal(content []byte) *Signature {
	if s == nil {
		return nil
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00", s.Method, s.Fingerprint, s.Created.Unix())
	h.Write(content)
	s.Digest = hex.EncodeToString(h.Sum(nil))
	return s
}

// Covers reports whether the signature is valid, covers the whole body,
// and is by a key bound to address.
func (s *Signature) Covers(address string) bool {
	return s != nil && s.Valid && s.Whole && slices.Contains(s.Addresses, strings.ToLower(strings.TrimSpace(address)))
}

// Describe says in a few words what the signature is, for tickets and
// confirmations.
func (s *Signature) Describe() string {
	if s == nil {
		return "not signed"
	}
	if !s.Valid {
		return fmt.Sprintf("%s signature not valid: %s", s.Method, s.Problem)
	}
	what := "valid " + s.Method + " signature"
	if s.Method == "OpenPGP" {
		what += " by key " + s.Fingerprint
	} else {
		what += " by certificate " + s.Fingerprint
	}
	if len(s.Addresses) > 0 {
		what += " (" + strings.Join(s.Addresses, ", ") + ")"
	}
	if !s.Whole {
		what += ", over part of the mail only"
	}
	return what
}

// maxDepth bounds the nesting of encrypted and signed layers.
const maxDepth = 4

// maxDecrypted bounds what one decryption may produce (a compressed
// OpenPGP message can expand a thousandfold).
const maxDecrypted = 64 << 20

// Open decrypts and verifies raw: PGP/MIME encrypted or signed (RFC
// 3156), inline PGP in a text/plain body, S/MIME enveloped or signed
// (RFC 8551). It never fails: a mail it cannot read comes back as it is,
// with Error or a Signature saying why.
func Open(raw []byte, o Options) (op *Opened) {
	op = &Opened{Clear: raw}
	if !mayBeCrypto(raw) {
		return op
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	defer func() {
		if r := recover(); r != nil {
			op = &Opened{Clear: raw, Error: fmt.Sprintf("the crypto layer failed on this mail: %v", r)}
		}
	}()
	e, err := splitEntity(crlf(raw))
	if err != nil {
		return op
	}
	o2 := &opener{o: o, op: op}
	if clear, ok := o2.open(e, 0); ok {
		op.Clear = clear
	}
	return op
}

// mayBeCrypto is a cheap look for what Open handles, so that the plain
// mail most reports are costs one scan.
func mayBeCrypto(raw []byte) bool {
	head := raw
	if len(head) > 64<<10 {
		head = head[:64<<10]
	}
	l := bytes.ToLower(head)
	return bytes.Contains(raw, []byte("-----BEGIN PGP ")) || bytes.Contains(l, []byte("pkcs7")) ||
		bytes.Contains(l, []byte("application/pgp"))
}

type opener struct {
	o  Options
	op *Opened
}

// open opens one layer: the message e. It returns the clear message and
// true when it changed something.
func (p *opener) open(e entity, depth int) ([]byte, bool) {
	if depth >= maxDepth {
		return nil, false
	}
	t, params := e.mediaType()
	proto := strings.ToLower(params["protocol"])
	switch {
	case t == "multipart/encrypted" && proto == "application/pgp-encrypted":
		return p.pgpEncrypted(e, params, depth)
	case t == "multipart/signed" && proto == "application/pgp-signature":
		return p.pgpSigned(e, params, depth)
	case t == "multipart/signed" && (proto == "application/pkcs7-signature" || proto == "application/x-pkcs7-signature"):
		return p.smimeSigned(e, params, depth)
	case t == "application/pkcs7-mime" || t == "application/x-pkcs7-mime":
		return p.smimeMIME(e, params, depth)
	case t == "text/plain" && bytes.Contains(e.body, []byte("-----BEGIN PGP ")):
		return p.inline(e, depth)
	case (t == "multipart/alternative" || t == "multipart/mixed") && depth == 0 && bytes.Contains(e.body, []byte("-----BEGIN PGP ")):
		return p.inlineMultipart(e, params, depth)
	}
	return nil, false
}

func (p *opener) failed(method, why string) ([]byte, bool) {
	p.op.Encrypted, p.op.Method, p.op.Error = true, method, why
	return nil, false
}

func (p *opener) pgpEncrypted(e entity, params map[string]string, depth int) ([]byte, bool) {
	ps, err := parts(e.body, params["boundary"])
	if len(ps) < 2 {
		why := "a PGP/MIME encrypted mail without its encrypted part"
		if err != nil {
			why += ": " + err.Error()
		}
		return p.failed("OpenPGP", why)
	}
	enc, err := splitEntity(ps[1])
	if err != nil {
		return p.failed("OpenPGP", "the encrypted part cannot be read: "+err.Error())
	}
	data, err := decodeBody(enc)
	if err != nil {
		return p.failed("OpenPGP", "the encrypted part cannot be read: "+err.Error())
	}
	clear, sig, err := p.decrypt(data)
	if err != nil {
		return p.failed("OpenPGP", err.Error())
	}
	p.op.Encrypted, p.op.Method = true, "OpenPGP"
	if sig != nil {
		sig.Whole = true
		p.op.Signature = sig
	}
	inner, err := splitEntity(crlf(clear))
	if err != nil {
		return p.failed("OpenPGP", "the decrypted part is not a MIME entity: "+err.Error())
	}
	msg := rewrap(e, inner)
	if next, ok := p.openInner(msg, depth); ok {
		return next, true
	}
	return msg, true
}

// openInner opens a decrypted message further: a signed message that was
// then encrypted (RFC 3156 section 6.1).
func (p *opener) openInner(msg []byte, depth int) ([]byte, bool) {
	e, err := splitEntity(msg)
	if err != nil {
		return nil, false
	}
	return p.open(e, depth+1)
}

// decrypt decrypts one OpenPGP message (armored or binary) to the league's
// key, verifying an embedded signature against the known keys.
func (p *opener) decrypt(data []byte) ([]byte, *Signature, error) {
	if p.o.League == nil {
		return nil, nil, errors.New("encrypted with OpenPGP, and the league has no key configured ([crypto] key)")
	}
	b := pgp.Decryption().DecryptionKeys(p.o.League.ring).VerifyTime(p.o.Now.Unix()).MaxDecompressedMessageSize(maxDecrypted)
	known, err := keyRing(p.o.Known)
	if err == nil && len(p.o.Known) > 0 {
		b = b.VerificationKeys(known)
	}
	dec, err := b.New()
	if err != nil {
		return nil, nil, fmt.Errorf("decrypt: %w", err)
	}
	res, err := dec.Decrypt(data, crypto.Auto)
	if err != nil {
		return nil, nil, decryptProblem(data, err)
	}
	return res.Bytes(), p.verdict(&res.VerifyResult, len(p.o.Known) == 0, data).seal(res.Bytes()), nil
}

// decryptProblem says why a message could not be decrypted, naming the
// keys it was for when it is not ours.
func decryptProblem(data []byte, err error) error {
	msg := crypto.NewPGPMessage(data)
	if bytes.Contains(data, []byte("-----BEGIN PGP")) {
		if m, aerr := crypto.NewPGPMessageFromArmored(string(data)); aerr == nil {
			msg = m
		} else {
			return fmt.Errorf("not a readable OpenPGP message (malformed or truncated): %v", aerr)
		}
	}
	if ids, ok := msg.HexEncryptionKeyIDs(); ok && len(ids) > 0 {
		return fmt.Errorf("cannot decrypt (encrypted to key ID %s, not the league's key?): %v", strings.Join(ids, ", "), err)
	}
	return fmt.Errorf("cannot decrypt (malformed or truncated?): %v", err)
}

// verdict turns gopenpgp's result into ours; nil when nothing was signed.
func (p *opener) verdict(r *crypto.VerifyResult, noKeys bool, data []byte) *Signature {
	se := r.SignatureErrorExplicit()
	if se != nil && se.Status == constants.SIGNATURE_NOT_SIGNED {
		return nil
	}
	s := &Signature{Method: "OpenPGP"}
	if t := r.SignatureCreationTime(); t > 0 {
		s.Created = time.Unix(t, 0).UTC()
	}
	if k := r.SignedByKey(); k != nil {
		s.Fingerprint = strings.ToUpper(k.GetFingerprint())
		for _, kk := range p.o.Known {
			if kk.Fingerprint() == s.Fingerprint {
				s.Addresses = kk.Info(p.o.Now).Addresses
			}
		}
	}
	switch {
	case se == nil:
		s.Valid = true
	case se.Status == constants.SIGNATURE_NO_VERIFIER || noKeys:
		id := r.SignedByKeyIdHex()
		if id == "" || id == "0000000000000000" {
			if ids, ok := crypto.SignatureHexKeyIDs(data); ok && len(ids) > 0 {
				id = strings.Join(ids, ", ")
			}
		}
		s.Problem = "signed by a key the league does not know"
		if id != "" && id != "0000000000000000" {
			s.Problem += " (key ID " + strings.ToUpper(id) + ")"
		}
	default:
		s.Problem = se.Message
		if se.Cause != nil {
			s.Problem += ": " + se.Cause.Error()
		}
	}
	return s
}

func (p *opener) pgpSigned(e entity, params map[string]string, depth int) ([]byte, bool) {
	return p.signedMultipart(e, params, depth, "OpenPGP", "a PGP/MIME", "the signature part cannot be read: ",
		func(signed, sig []byte) (*Signature, error) { return p.verifyDetached(signed, sig).seal(signed), nil })
}

// signedMultipart opens a multipart/signed mail (RFC 1847, RFC 3156, RFC
// 8551): the first part is what was signed, the second the signature,
// which verify reads and checks. The parser then reads the signed part
// alone, without the signature as an attachment. what names the kind of
// mail and unreadable prefixes the reason a signature cannot be read, in
// the verdict.
func (p *opener) signedMultipart(e entity, params map[string]string, depth int, method, what, unreadable string,
	verify func(signed, sig []byte) (*Signature, error)) ([]byte, bool) {
	ps, err := parts(e.body, params["boundary"])
	if len(ps) < 2 {
		why := what + " signed mail without its signature"
		if err != nil {
			why += ": " + err.Error()
		}
		p.setSig(&Signature{Method: method, Problem: why}, depth)
		return nil, false
	}
	sigPart, err := splitEntity(ps[1])
	var sig []byte
	if err == nil {
		sig, err = decodeBody(sigPart)
	}
	var s *Signature
	if err == nil {
		s, err = verify(ps[0], sig)
	}
	if err != nil {
		p.setSig(&Signature{Method: method, Problem: unreadable + err.Error()}, depth)
		return nil, false
	}
	p.setSig(s, depth)
	inner, err := splitEntity(ps[0])
	if err != nil {
		return nil, false
	}
	msg := rewrap(e, inner)
	if next, ok := p.openInner(msg, depth); ok {
		return next, true
	}
	return msg, true
}

// setSig records s as the mail's signature verdict: it covers the whole
// mail when it is the outermost layer, or sits right inside encryption.
func (p *opener) setSig(s *Signature, depth int) {
	if p.op.Signature != nil && p.op.Signature.Valid {
		return // the outer signature stands
	}
	s.Whole = depth == 0 || (depth == 1 && p.op.Encrypted)
	p.op.Signature = s
}

func (p *opener) verifyDetached(data, sig []byte) *Signature {
	if len(p.o.Known) == 0 {
		return p.unknownSigner(sig)
	}
	known, err := keyRing(p.o.Known)
	if err != nil {
		return &Signature{Method: "OpenPGP", Problem: err.Error()}
	}
	v, err := pgp.Verify().VerificationKeys(known).VerifyTime(p.o.Now.Unix()).New()
	if err != nil {
		return &Signature{Method: "OpenPGP", Problem: err.Error()}
	}
	r, err := v.VerifyDetached(data, sig, crypto.Auto)
	if err != nil {
		return &Signature{Method: "OpenPGP", Problem: "the signature cannot be read: " + err.Error()}
	}
	s := p.verdict(r, false, sig)
	if s == nil {
		return &Signature{Method: "OpenPGP", Problem: "the signature part holds no signature"}
	}
	return s
}

func (p *opener) unknownSigner(sig []byte) *Signature {
	s := &Signature{Method: "OpenPGP", Problem: "signed by a key the league does not know"}
	bin := sig
	if b, err := unarmorAny(sig); err == nil {
		bin = b
	}
	if ids, ok := crypto.SignatureHexKeyIDs(bin); ok && len(ids) > 0 {
		s.Problem += " (key ID " + strings.ToUpper(strings.Join(ids, ", ")) + ")"
	}
	return s
}

// inline handles a text/plain body that holds an armored OpenPGP message
// or a cleartext-signed one ("inline PGP").
func (p *opener) inline(e entity, depth int) ([]byte, bool) {
	body, ok := p.inlineText(e, depth)
	if !ok {
		return nil, false
	}
	return p.textMessage(e, body), true
}

// inlineMultipart handles inline PGP in the first text/plain part of a
// multipart/alternative or multipart/mixed, as some mail clients send it:
// that part is decrypted in place. Its signature covers one part only, so
// it vouches for nothing (Whole is false).
func (p *opener) inlineMultipart(e entity, params map[string]string, depth int) ([]byte, bool) {
	bd := params["boundary"]
	ps, err := parts(e.body, bd)
	if err != nil || len(ps) == 0 {
		return nil, false
	}
	for i, part := range ps {
		pe, err := splitEntity(part)
		if err != nil {
			continue
		}
		if t, _ := pe.mediaType(); t != "text/plain" || !bytes.Contains(pe.body, []byte("-----BEGIN PGP ")) {
			continue
		}
		body, ok := p.inlineText(pe, depth+1)
		if p.op.Signature != nil {
			p.op.Signature.Whole = false
		}
		if !ok {
			return nil, false
		}
		charset := "utf-8"
		if _, pp := pe.mediaType(); pp["charset"] != "" {
			charset = pp["charset"]
		}
		ps[i] = slices.Concat([]byte(fmt.Sprintf("Content-Type: text/plain; charset=%q\r\nContent-Transfer-Encoding: 8bit\r\n\r\n", charset)), body)
		var b bytes.Buffer
		for _, f := range e.header {
			b.Write(f.raw)
		}
		b.WriteString("\r\n")
		for _, part := range ps {
			b.WriteString("--" + bd + "\r\n")
			b.Write(part)
			b.WriteString("\r\n")
		}
		b.WriteString("--" + bd + "--\r\n")
		return b.Bytes(), true
	}
	return nil, false
}

// inlineText decrypts or verifies the armored block of a text/plain part
// and returns the part's text with the block replaced by its clear text.
func (p *opener) inlineText(e entity, depth int) ([]byte, bool) {
	text, err := decodeBody(e)
	if err != nil {
		return nil, false
	}
	text = crlf(text)
	if i := bytes.Index(text, []byte("-----BEGIN PGP MESSAGE-----")); i >= 0 {
		end := bytes.Index(text[i:], []byte("-----END PGP MESSAGE-----"))
		if end < 0 {
			return p.failed("OpenPGP", "an inline OpenPGP message without its END line (truncated)")
		}
		end += i + len("-----END PGP MESSAGE-----")
		clear, sig, err := p.decrypt(text[i:end])
		if err != nil {
			return p.failed("OpenPGP", err.Error())
		}
		p.op.Encrypted, p.op.Method = true, "OpenPGP"
		whole := len(bytes.TrimSpace(text[:i])) == 0 && len(bytes.TrimSpace(text[end:])) == 0
		if sig != nil {
			sig.Whole = whole
			p.op.Signature = sig
		}
		return slices.Concat(text[:i], crlf(clear), text[end:]), true
	}
	i := bytes.Index(text, []byte("-----BEGIN PGP SIGNED MESSAGE-----"))
	if i < 0 {
		return nil, false
	}
	const endSig = "-----END PGP SIGNATURE-----"
	end := bytes.Index(text[i:], []byte(endSig))
	if end < 0 {
		p.setSig(&Signature{Method: "OpenPGP", Problem: "a cleartext-signed message without its signature (truncated)"}, depth)
		return nil, false
	}
	end += i + len(endSig)
	block := text[i:end]
	s, clear := p.verifyCleartext(block)
	p.setSig(s.seal(block), depth)
	if !(len(bytes.TrimSpace(text[:i])) == 0 && len(bytes.TrimSpace(text[end:])) == 0) {
		s.Whole = false
	}
	if clear == nil {
		return nil, false
	}
	return slices.Concat(text[:i], crlf(clear), []byte("\r\n"), text[end:]), true
}

func (p *opener) verifyCleartext(block []byte) (*Signature, []byte) {
	known, err := keyRing(p.o.Known)
	if err != nil {
		return &Signature{Method: "OpenPGP", Problem: err.Error()}, nil
	}
	vb := pgp.Verify().VerifyTime(p.o.Now.Unix())
	if len(p.o.Known) > 0 {
		vb = vb.VerificationKeys(known)
	}
	v, err := vb.New()
	if err != nil {
		return &Signature{Method: "OpenPGP", Problem: err.Error()}, nil
	}
	r, err := v.VerifyCleartext(block)
	if err != nil {
		return &Signature{Method: "OpenPGP", Problem: "the signed text cannot be read: " + err.Error()}, nil
	}
	s := p.verdict(&r.VerifyResult, len(p.o.Known) == 0, nil)
	if s == nil {
		s = &Signature{Method: "OpenPGP", Problem: "no signature in the signed text"}
	}
	return s, r.Cleartext()
}

// textMessage is e with its body replaced by text, as UTF-8 text in 8 bits.
func (p *opener) textMessage(e entity, text []byte) []byte {
	var b bytes.Buffer
	charset := "utf-8"
	if _, params := e.mediaType(); params["charset"] != "" {
		charset = params["charset"]
	}
	for _, f := range e.header {
		if isContent(f.name) || f.name == "MIME-Version" {
			continue
		}
		b.Write(f.raw)
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: text/plain; charset=%q\r\n", charset)
	b.WriteString("Content-Transfer-Encoding: 8bit\r\n\r\n")
	b.Write(text)
	return b.Bytes()
}

// rewrap puts inner (a decrypted or signed entity) in place of e's body:
// e's message fields, then inner's fields and body. When inner carries
// protected headers (RFC 9788), its Subject is the real one and replaces
// the outer, neutral one; its other message fields are left out of the
// part, where a parser would take them for the part's own.
func rewrap(e, inner entity) []byte {
	_, params := inner.mediaType()
	protected := params["hp"] != "" || params["protected-headers"] != ""
	subject := ""
	if protected {
		for _, f := range inner.header {
			if f.name == "Subject" {
				subject = strings.TrimRight(string(f.raw), "\r\n") + "\r\n"
			}
		}
	}
	var b bytes.Buffer
	for _, f := range e.header {
		if isContent(f.name) || f.name == "MIME-Version" {
			continue
		}
		if f.name == "Subject" && subject != "" {
			b.WriteString(subject)
			subject = ""
			continue
		}
		b.Write(f.raw)
	}
	if subject != "" {
		b.WriteString(subject)
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	for _, f := range inner.header {
		if isContent(f.name) {
			b.Write(f.raw)
		}
	}
	b.WriteString("\r\n")
	b.Write(inner.body)
	return b.Bytes()
}

// decodeBody undoes a part's Content-Transfer-Encoding.
func decodeBody(e entity) ([]byte, error) {
	switch strings.ToLower(e.get("Content-Transfer-Encoding")) {
	case "base64":
		return io.ReadAll(io.LimitReader(base64.NewDecoder(base64.StdEncoding, newlineStripper(e.body)), maxDecrypted))
	case "quoted-printable":
		return io.ReadAll(io.LimitReader(quotedprintable.NewReader(bytes.NewReader(e.body)), maxDecrypted))
	}
	return e.body, nil
}

func newlineStripper(b []byte) io.Reader {
	return bytes.NewReader(bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, b))
}

func unarmorAny(b []byte) ([]byte, error) {
	if !bytes.Contains(b, []byte("-----BEGIN PGP")) {
		return b, nil
	}
	return unarmor(b)
}
