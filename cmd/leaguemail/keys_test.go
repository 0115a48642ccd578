package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/gnupgtest"
)

func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "league.asc")
	cfgFile := filepath.Join(dir, "leaguemail.toml")
	os.WriteFile(cfgFile, []byte(`[league]
address = "report@league.example"
[store]
path = "`+filepath.Join(dir, "test.db")+`"
[crypto]
key = "`+keyFile+`"
`), 0o600)
	leaguemail := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(args, "--config", cfgFile), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := leaguemail("keys", "generate")
	if code != 0 || !strings.Contains(out, "league key ") {
		t.Fatalf("generate: %d %q %q", code, out, errs)
	}
	if code, _, errs := leaguemail("keys", "generate"); code != 1 || !strings.Contains(errs, "never overwritten") {
		t.Errorf("a second generate over the key: %d %q", code, errs)
	}
	g := gnupgtest.New(t)
	// gpg reads the public key generate wrote.
	pub, _ := os.ReadFile(filepath.Join(dir, "league.pub.asc"))
	g.Import(pub)

	// Contacts: a CERT with a key, one with an expired key.
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte("kind,name,email,country,region\ncert,CERT-XX,cert@cert.example,xx,\ncert,CERT-YY,old@cert-yy.example,yy,\n"), 0o600)
	if code, _, errs := leaguemail("contacts", "import", filepath.Join(dir, "c.csv")); code != 0 {
		t.Fatal(errs)
	}
	good := filepath.Join(dir, "cert.asc")
	os.WriteFile(good, g.NewKey("cert@cert.example"), 0o600)
	old := filepath.Join(dir, "old.asc")
	os.WriteFile(old, g.NewKey("old@cert-yy.example", "seconds=1"), 0o600)
	stranger := filepath.Join(dir, "stranger.asc")
	os.WriteFile(stranger, g.NewKey("who@nowhere.example"), 0o600)
	broken := filepath.Join(dir, "broken.asc")
	b, _ := os.ReadFile(good)
	os.WriteFile(broken, b[:len(b)/2], 0o600)
	time.Sleep(2100 * time.Millisecond)

	code, out, errs = leaguemail("keys", "import", good, old, stranger)
	if code != 0 {
		t.Fatalf("import: %d %q", code, errs)
	}
	for _, want := range []string{"used by cert CERT-XX", "(expired)", "no contact has these addresses"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := leaguemail("keys", "import", broken); code != 1 || !strings.Contains(errs, "broken.asc") {
		t.Errorf("a truncated key: %d %q", code, errs)
	}

	if _, err := exec.LookPath("openssl"); err == nil {
		pem := filepath.Join(dir, "smime.pem")
		if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=CERT-XX",
			"-addext", "subjectAltName=email:cert@cert.example", "-keyout", filepath.Join(dir, "smime.key"), "-out", pem).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v %s", err, out)
		}
		if code, out, errs := leaguemail("keys", "import", pem); code != 0 || !strings.Contains(out, "imported smime") {
			t.Errorf("import PEM: %d %q %q", code, out, errs)
		}
	}

	code, out, errs = leaguemail("keys", "list", "--json")
	if code != 0 {
		t.Fatal(errs)
	}
	var rows []struct {
		Kind, Fingerprint, Status string
		Addresses                 []string
		UsedBy                    []string `json:"used_by"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	status := map[string]string{}
	for _, r := range rows {
		status[r.Kind+" "+strings.Join(r.Addresses, ",")] = r.Status
	}
	for k, want := range map[string]string{"openpgp cert@cert.example": "usable", "openpgp old@cert-yy.example": "expired", "openpgp who@nowhere.example": "usable"} {
		if status[k] != want {
			t.Errorf("%s: status %q, want %q (all: %v)", k, status[k], want, status)
		}
	}
	code, out, _ = leaguemail("keys", "list")
	if code != 0 || !strings.Contains(out, "expired") || !strings.Contains(out, "cert CERT-XX") {
		t.Errorf("list:\n%s", out)
	}
}
