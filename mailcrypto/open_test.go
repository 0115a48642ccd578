package mailcrypto

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A triager's reply as a mail client writes it, before signing.
const replyBody = "Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: 7bit\r\n" +
	"\r\n" +
	"#verify\r\n#escalate CERT-XX\r\n\r\nLooks bad: hxxp://evil[.]example/x\r\n"

const replyHead = "From: Alex <alex@volunteers.example>\r\n" +
	"To: report@league.example\r\n" +
	"Subject: Re: [League #12] New report\r\n" +
	"Message-ID: <r1@volunteers.example>\r\n" +
	"MIME-Version: 1.0\r\n"

// gpgSigned is a PGP/MIME signed mail (RFC 3156 section 5) whose
// signature GnuPG made over body.
func gpgSigned(t *testing.T, g *gnupg, signer, head, body string) []byte {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "body"), []byte(body), 0o600)
	sig := g.must(nil, "--armor", "--local-user", signer, "--detach-sign", "--output", "-", filepath.Join(dir, "body"))
	return []byte(head + "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\n" + body + "\r\n--b1\r\n" +
		"Content-Type: application/pgp-signature\r\n\r\n" + string(crlf(sig)) + "\r\n--b1--\r\n")
}

// gpgEncrypted is a PGP/MIME encrypted mail whose inner entity GnuPG
// encrypted to the league (and signed, with signer).
func gpgEncrypted(t *testing.T, g *gnupg, signer, head, inner string) []byte {
	t.Helper()
	args := []string{"--armor", "--recipient", "report@league.example", "--encrypt"}
	if signer != "" {
		args = append([]string{"--local-user", signer, "--sign"}, args...)
	}
	enc := g.must([]byte(inner), args...)
	return []byte(head + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b2\"\r\n\r\n" +
		"--b2\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n" +
		"--b2\r\nContent-Type: application/octet-stream\r\n\r\n" + string(crlf(enc)) + "\r\n--b2--\r\n")
}

func TestOpenWhatGnuPGWrites(t *testing.T) {
	l := league(t)
	g := newGnuPG(t)
	pub, _ := l.Public().Armored()
	g.importKey(pub)
	alexPub := g.newKey("alex@volunteers.example")
	alex, err := ParseKey(alexPub)
	if err != nil {
		t.Fatal(err)
	}
	strangerPub := g.newKey("mallory@volunteers.example")
	_ = strangerPub
	other := newGnuPG(t) // a key the league never saw, to encrypt to
	otherPub := other.newKey("someone@elsewhere.example")
	g.importKey(otherPub)

	inline := g.must([]byte("#close benign\r\nnothing here\r\n"), "--armor", "--local-user", "alex@volunteers.example", "--sign", "--recipient", "report@league.example", "--encrypt")
	clearsigned := g.must([]byte("#verify\nall good\n"), "--local-user", "alex@volunteers.example", "--clearsign")
	signed := gpgSigned(t, g, "alex@volunteers.example", replyHead, replyBody)

	tests := []struct {
		name      string
		raw       []byte
		encrypted bool
		decErr    string // part of Opened.Error
		valid     bool
		whole     bool
		problem   string // part of Signature.Problem
		noSig     bool
		clear     []string // in Clear
	}{
		{name: "signed reply", raw: signed, valid: true, whole: true, clear: []string{"#verify\r\n#escalate CERT-XX", "Subject: Re: [League #12]"}},
		{name: "signed reply, text altered", raw: bytes.Replace(signed, []byte("#verify"), []byte("#reject"), 1), problem: "", whole: true},
		{name: "signed by a stranger", raw: gpgSigned(t, g, "mallory@volunteers.example", replyHead, replyBody), problem: "does not know", whole: true},
		{name: "encrypted and signed report", raw: gpgEncrypted(t, g, "alex@volunteers.example", replyHead,
			"Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\nSubject: Phishing at St. Mary\r\n\r\nhttp://evil.example/login\r\n"),
			encrypted: true, valid: true, whole: true, clear: []string{"http://evil.example/login", "Subject: Phishing at St. Mary"}},
		{name: "encrypted, not signed", raw: gpgEncrypted(t, g, "", replyHead, "Content-Type: text/plain\r\n\r\nhttp://evil.example/a\r\n"),
			encrypted: true, noSig: true, clear: []string{"http://evil.example/a"}},
		{name: "encrypted to another key", raw: func() []byte {
			enc := g.must([]byte("secret"), "--armor", "--recipient", "someone@elsewhere.example", "--encrypt")
			return []byte(replyHead + "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b2\"\r\n\r\n" +
				"--b2\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b2\r\nContent-Type: application/octet-stream\r\n\r\n" + string(enc) + "\r\n--b2--\r\n")
		}(), encrypted: true, decErr: "key ID", noSig: true},
		{name: "encrypted, truncated", raw: func() []byte {
			m := gpgEncrypted(t, g, "", replyHead, "Content-Type: text/plain\r\n\r\nhello\r\n")
			return m[:len(m)*2/3]
		}(), encrypted: true, decErr: "truncated", noSig: true},
		{name: "inline encrypted and signed", raw: []byte(replyHead + "Content-Type: text/plain\r\n\r\n" + string(inline)),
			encrypted: true, valid: true, whole: true, clear: []string{"#close benign"}},
		{name: "inline cleartext-signed", raw: []byte(replyHead + "Content-Type: text/plain\r\n\r\n" + string(clearsigned)),
			valid: true, whole: true, clear: []string{"\r\n#verify\r\nall good"}},
		{name: "cleartext-signed below other text", raw: []byte(replyHead + "Content-Type: text/plain\r\n\r\n#close benign\r\n\r\n" + string(clearsigned)),
			valid: true, whole: false},
		{name: "inline encrypted in multipart/alternative", raw: []byte(replyHead + "Content-Type: multipart/alternative; boundary=\"a1\"\r\n\r\n" +
			"--a1\r\nContent-Type: text/plain\r\n\r\n" + string(inline) + "\r\n--a1\r\nContent-Type: text/html\r\n\r\n<pre>armored</pre>\r\n--a1--\r\n"),
			encrypted: true, valid: true, whole: false, clear: []string{"#close benign", "<pre>armored</pre>", "--a1--"}},
		{name: "plain mail", raw: []byte(replyHead + "Content-Type: text/plain\r\n\r\nhello\r\n"), noSig: true, clear: []string{"hello"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := Open(tt.raw, Options{League: l, Known: []*Key{alex}})
			if op.Encrypted != tt.encrypted {
				t.Errorf("Encrypted = %v, want %v (error %q)", op.Encrypted, tt.encrypted, op.Error)
			}
			if (op.Error != "") != (tt.decErr != "") || !strings.Contains(op.Error, tt.decErr) {
				t.Errorf("Error = %q, want one with %q", op.Error, tt.decErr)
			}
			if op.Error != "" && !bytes.Equal(op.Clear, tt.raw) {
				t.Error("an undecryptable mail is not handed on as it came")
			}
			s := op.Signature
			if tt.noSig {
				if s != nil {
					t.Errorf("Signature = %+v, want none", s)
				}
			} else if s == nil {
				t.Fatal("no signature verdict")
			} else {
				if s.Valid != tt.valid || s.Whole != tt.whole || !strings.Contains(s.Problem, tt.problem) {
					t.Errorf("Signature = %+v, want valid %v whole %v problem %q", s, tt.valid, tt.whole, tt.problem)
				}
				if s.Valid && (s.Fingerprint != alex.Fingerprint() || !s.Covers("Alex@volunteers.example") != !tt.whole) {
					t.Errorf("Signature = %+v, not alex's key %s", s, alex.Fingerprint())
				}
			}
			for _, want := range tt.clear {
				if !bytes.Contains(op.Clear, []byte(want)) {
					t.Errorf("Clear lacks %q:\n%s", want, op.Clear)
				}
			}
			if tt.valid && bytes.Contains(op.Clear, []byte("BEGIN PGP")) {
				t.Errorf("Clear still holds armor:\n%s", op.Clear)
			}
		})
	}
}

func TestOpenOwnMail(t *testing.T) {
	// What we send to ourselves (a test of the round trip): encrypted to
	// the league's own key, signed by it.
	l := league(t)
	enc, err := Encrypt([]byte(sample), []*Key{l.Public()}, l)
	if err != nil {
		t.Fatal(err)
	}
	op := Open(enc, Options{League: l, Known: []*Key{l.Public()}})
	if !op.Encrypted || op.Error != "" || !op.Signature.Covers("report@league.example") {
		t.Fatalf("%+v %+v", op, op.Signature)
	}
	if !bytes.Contains(op.Clear, []byte("Subject: [League #12] Escalation: phishing at St. Mary")) || bytes.Contains(op.Clear, []byte("Encrypted message")) {
		t.Errorf("the protected Subject did not replace the outer one:\n%s", op.Clear)
	}
	signed, _ := l.Sign([]byte(sample))
	op = Open(signed, Options{Known: []*Key{l.Public()}})
	if op.Encrypted || !op.Signature.Covers("report@league.example") {
		t.Fatalf("%+v %+v", op, op.Signature)
	}
}
