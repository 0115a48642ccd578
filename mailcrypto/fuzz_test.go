package mailcrypto

import (
	"bytes"
	"os"
	"testing"
)

// FuzzOpen feeds Open hostile bytes: it must never panic (Open recovers,
// but a recovered panic is a bug too: the fuzzer sees it through Error),
// and a mail it could not decrypt must come back as it was.
func FuzzOpen(f *testing.F) {
	// A key from testdata: generating one in every worker is slow under
	// the fuzzer's coverage instrumentation.
	armored, err := os.ReadFile("testdata/league.asc")
	if err != nil {
		f.Fatal(err)
	}
	l, err := ParseLeague(armored, nil)
	if err != nil {
		f.Fatal(err)
	}
	enc, _ := Encrypt([]byte(sample), []*Key{l.Public()}, l)
	signed, _ := l.Sign([]byte(sample))
	f.Add(enc)
	f.Add(signed)
	f.Add(enc[:len(enc)/2])
	f.Add([]byte("Subject: x\r\nContent-Type: text/plain\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQEMA\r\n-----END PGP MESSAGE-----\r\n"))
	f.Add([]byte("Content-Type: text/plain\n\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nhi\n-----BEGIN PGP SIGNATURE-----\n\nwsB\n-----END PGP SIGNATURE-----\n"))
	f.Add([]byte("Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=a\r\n\r\n--a\r\n\r\nx\r\n--a\r\n\r\n--a--\r\n"))
	f.Add([]byte("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIB\r\n"))
	known := []*Key{l.Public()}
	f.Fuzz(func(t *testing.T, raw []byte) {
		op := Open(raw, Options{League: l, Known: known})
		if bytes.Contains([]byte(op.Error), []byte("crypto layer failed")) {
			t.Fatalf("panic: %s", op.Error)
		}
		if op.Clear == nil {
			t.Fatal("no mail handed on")
		}
		if op.Error != "" && !bytes.Equal(op.Clear, raw) {
			t.Fatal("an undecryptable mail was changed")
		}
	})
}
