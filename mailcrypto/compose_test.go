package mailcrypto

import (
	"bytes"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n" +
	"From: League <report@league.example>\r\n" +
	"To: cert@cert.example\r\n" +
	"Subject: [League #12] Escalation: phishing at St. Mary\r\n" +
	"Message-ID: <x1@league.example>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"Indicators: hxxp://bad[.]example/login =\r\n" +
	"continued line with trailing space=20\r\n" +
	"From the start of a line\r\n"

var testLeague *League

// league returns one league key for the package's tests (generation
// takes a moment).
func league(t *testing.T) *League {
	t.Helper()
	if testLeague == nil {
		armored, err := Generate("Test League", "report@league.example", nil)
		if err != nil {
			t.Fatal(err)
		}
		if testLeague, err = ParseLeague(armored, nil); err != nil {
			t.Fatal(err)
		}
	}
	return testLeague
}

func TestSignVerifiedByGnuPG(t *testing.T) {
	l := league(t)
	g := newGnuPG(t)
	pub, _ := l.Public().Armored()
	g.importKey(pub)

	signed, err := l.Sign([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(signed))
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.Get("Subject") != "[League #12] Escalation: phishing at St. Mary" {
		t.Errorf("Subject changed by signing: %q", m.Header.Get("Subject"))
	}
	e, _ := splitEntity(signed)
	_, params := e.mediaType()
	ps, err := parts(e.body, params["boundary"])
	if err != nil || len(ps) != 2 {
		t.Fatalf("parts: %v, %d", err, len(ps))
	}
	dir := t.TempDir()
	data, sig := filepath.Join(dir, "data"), filepath.Join(dir, "sig.asc")
	os.WriteFile(data, ps[0], 0o600)
	sigPart, _ := splitEntity(ps[1])
	os.WriteFile(sig, sigPart.body, 0o600)
	if _, stderr, err := g.run(nil, "--verify", sig, data); err != nil || !strings.Contains(stderr, "Good signature") {
		t.Fatalf("gpg does not verify our signature: %v\n%s", err, stderr)
	}

	// One byte changed in the signed part: gpg must say BAD.
	os.WriteFile(data, bytes.Replace(ps[0], []byte("bad"), []byte("bae"), 1), 0o600)
	if _, stderr, err := g.run(nil, "--verify", sig, data); err == nil || !strings.Contains(stderr, "BAD signature") {
		t.Fatalf("gpg accepted a signature over altered text: %v\n%s", err, stderr)
	}
}

func TestEncryptReadByGnuPG(t *testing.T) {
	l := league(t)
	g := newGnuPG(t)
	pub, _ := l.Public().Armored()
	g.importKey(pub)
	certPub := g.newKey("cert@cert.example")
	cert, err := ParseKey(certPub)
	if err != nil {
		t.Fatal(err)
	}
	if i := cert.Info(testNow()); !i.Usable() || i.Addresses[0] != "cert@cert.example" {
		t.Fatalf("gpg's key: %+v", i)
	}
	enc, err := Encrypt([]byte(sample), []*Key{cert}, l)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(enc, []byte("bad[.]example")) || bytes.Contains(enc, []byte("St. Mary")) {
		t.Fatal("detail or the real subject is readable outside the encryption")
	}
	m, err := mail.ReadMessage(bytes.NewReader(enc))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Subject"); got != "[League #12] Encrypted message" {
		t.Errorf("outer Subject = %q", got)
	}
	if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/encrypted") || !strings.Contains(ct, "application/pgp-encrypted") {
		t.Errorf("Content-Type = %q", ct)
	}
	e, _ := splitEntity(enc)
	_, params := e.mediaType()
	ps, err := parts(e.body, params["boundary"])
	if err != nil || len(ps) != 2 {
		t.Fatalf("parts: %v %d", err, len(ps))
	}
	body, _ := splitEntity(ps[1])
	clear, stderr, err := g.run(body.body, "--decrypt")
	if err != nil {
		t.Fatalf("gpg cannot decrypt: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "Good signature") {
		t.Errorf("gpg finds no good signature inside:\n%s", stderr)
	}
	for _, want := range []string{"Subject: [League #12] Escalation: phishing at St. Mary", "hp=\"cipher\"", "HP-Outer: Subject: [League #12] Encrypted message", "hxxp://bad[.]example/login"} {
		if !bytes.Contains(clear, []byte(want)) {
			t.Errorf("the decrypted part lacks %q:\n%s", want, clear)
		}
	}
}
