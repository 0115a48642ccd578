package mailcrypto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// openssl runs the openssl command, the real S/MIME peer.
func openssl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	out, stderr, err := opensslRun(stdin, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func opensslRun(stdin []byte, args ...string) ([]byte, string, error) {
	cmd := exec.Command("openssl", args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.String(), err
}

// selfSigned makes an RSA certificate for address in dir: name.pem and
// name.key.
func selfSigned(t *testing.T, dir, name, address string) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	openssl(t, nil, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN="+name,
		"-addext", "subjectAltName=email:"+address, "-keyout", keyFile, "-out", certFile)
	return certFile, keyFile
}

func needOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("LEAGUEMAIL_E2E") != "" {
			t.Fatal("openssl is not installed")
		}
		t.Skip("openssl is not installed")
	}
}

func TestSMIMEWithOpenSSL(t *testing.T) {
	needOpenSSL(t)
	dir := t.TempDir()
	lc, lk := selfSigned(t, dir, "league", "report@league.example")
	cc, ck := selfSigned(t, dir, "cert", "cert@cert.example")
	ac, ak := selfSigned(t, dir, "alex", "alex@volunteers.example")
	league, err := LoadSMIME(lc, lk)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(cc)
	certs, err := ParseCerts(certPEM)
	if err != nil || len(certs) != 1 {
		t.Fatal(err)
	}
	if i := certs[0].Info(testNow()); !i.Usable() || i.Addresses[0] != "cert@cert.example" {
		t.Fatalf("%+v", i)
	}

	t.Run("openssl decrypts and verifies what we send", func(t *testing.T) {
		enc, err := EncryptSMIME([]byte(sample), certs, league)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(enc, []byte("St. Mary")) {
			t.Fatal("the real subject is readable outside")
		}
		clear := openssl(t, enc, "smime", "-decrypt", "-recip", cc, "-inkey", ck)
		if !bytes.Contains(clear, []byte("Subject: [League #12] Escalation: phishing at St. Mary")) {
			t.Errorf("no protected subject inside:\n%s", clear)
		}
		out, stderr, err := opensslRun(clear, "smime", "-verify", "-CAfile", lc)
		if err != nil || !strings.Contains(stderr, "Verification successful") || !bytes.Contains(out, []byte("hxxp://bad[.]example/login")) {
			t.Fatalf("openssl does not verify our signature: %v\n%s\n%s", err, stderr, out)
		}
		signed, err := league.SignSMIME([]byte(sample))
		if err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := opensslRun(signed, "smime", "-verify", "-CAfile", lc); err != nil || !strings.Contains(stderr, "Verification successful") {
			t.Fatalf("openssl does not verify our signed mail: %v\n%s", err, stderr)
		}
	})

	alexPEM, _ := os.ReadFile(ac)
	alex, _ := ParseCerts(alexPEM)
	body := []byte("Content-Type: text/plain\r\n\r\n#verify\r\nhttp://evil.example/x\r\n")
	head := "From: alex@volunteers.example\r\nTo: report@league.example\r\nSubject: Re: [League #12] x\r\n"
	signed := openssl(t, body, "smime", "-sign", "-signer", ac, "-inkey", ak)
	encrypted := openssl(t, body, "smime", "-encrypt", "-aes256", lc)
	signedEncrypted := openssl(t, signed, "smime", "-encrypt", "-aes256", lc)
	otherC, _ := selfSigned(t, dir, "other", "x@elsewhere.example")
	toOther := openssl(t, body, "smime", "-encrypt", "-aes256", otherC)
	tests := []struct {
		name               string
		raw                []byte
		encrypted, valid   bool
		noSig              bool
		decErr, sigProblem string
	}{
		{name: "signed by alex", raw: []byte(head + string(signed)), valid: true},
		{name: "signed, altered", raw: []byte(head + strings.Replace(string(signed), "#verify", "#reject", 1)), sigProblem: "does not verify"},
		{name: "encrypted to the league", raw: []byte(head + string(encrypted)), encrypted: true, noSig: true},
		{name: "signed then encrypted", raw: []byte(head + string(signedEncrypted)), encrypted: true, valid: true},
		{name: "encrypted to someone else", raw: []byte(head + string(toOther)), encrypted: true, noSig: true, decErr: "cannot decrypt"},
		{name: "truncated", raw: []byte(head + string(encrypted[:len(encrypted)/2])), encrypted: true, noSig: true, decErr: "S/MIME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := Open(tt.raw, Options{SMIME: league, Certs: alex})
			if op.Encrypted != tt.encrypted || !strings.Contains(op.Error, tt.decErr) || (op.Error == "") != (tt.decErr == "") {
				t.Errorf("Encrypted %v Error %q, want %v %q", op.Encrypted, op.Error, tt.encrypted, tt.decErr)
			}
			s := op.Signature
			switch {
			case tt.noSig:
				if s != nil {
					t.Errorf("signature %+v, want none", s)
				}
			case s == nil:
				t.Fatal("no signature verdict")
			case s.Valid != tt.valid || !strings.Contains(s.Problem, tt.sigProblem):
				t.Errorf("signature %+v, want valid %v problem %q", s, tt.valid, tt.sigProblem)
			case tt.valid && !s.Covers("alex@volunteers.example"):
				t.Errorf("signature %+v does not vouch for alex", s)
			}
			if op.Error == "" && !bytes.Contains(op.Clear, []byte("#")) {
				t.Errorf("clear text lacks the body:\n%s", op.Clear)
			}
		})
	}
}
