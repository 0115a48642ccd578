package mailcrypto

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLeagueKeyPassphrase(t *testing.T) {
	armored, err := Generate("League", "report@league.example", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseLeague(armored, nil); err == nil || !strings.Contains(err.Error(), "passphrase_file") {
		t.Errorf("no passphrase: %v", err)
	}
	if _, err := ParseLeague(armored, []byte("wrong")); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Errorf("wrong passphrase: %v", err)
	}
	dir := t.TempDir()
	key, pass := filepath.Join(dir, "k.asc"), filepath.Join(dir, "pass")
	os.WriteFile(key, armored, 0o600)
	os.WriteFile(pass, []byte("correct horse\n"), 0o600)
	if _, err := LoadLeague(key, pass); err != nil {
		t.Errorf("with the passphrase file (and its line end): %v", err)
	}
	l := league(t)
	pub, _ := l.Public().Armored()
	if _, err := ParseLeague(pub, nil); err == nil || !strings.Contains(err.Error(), "public key") {
		t.Errorf("a public key as the league's: %v", err)
	}
}

// TestKeysFromGnuPG: a league key made and exported by GnuPG, with a
// passphrase, serves as the league's; a revoked or expired key is shown
// as such.
func TestKeysFromGnuPG(t *testing.T) {
	g := newGnuPG(t)
	g.must(nil, "--passphrase", "s3cret", "--quick-generate-key", "League <report@league.example>", "future-default", "default", "never")
	secret := g.must(nil, "--passphrase", "s3cret", "--armor", "--export-secret-keys", "report@league.example")
	l, err := ParseLeague(secret, []byte("s3cret"))
	if err != nil {
		t.Fatalf("GnuPG's league key: %v", err)
	}
	if _, err := Encrypt([]byte(sample), []*Key{l.Public()}, l); err != nil {
		t.Fatal(err)
	}

	pub := g.newKey("gone@cert.example")
	keys, err := ParseKeys(pub)
	if err != nil || keys[0].Info(time.Now()).Status != "usable" {
		t.Fatalf("%v %+v", err, keys)
	}
	fpr := keys[0].Fingerprint()
	rev, err := os.ReadFile(filepath.Join(g.Dir, "openpgp-revocs.d", fpr+".rev"))
	if err != nil {
		t.Fatal(err)
	}
	// The certificate is written to be imported with its ":" guard cut.
	g.must([]byte(strings.Replace(string(rev), ":-----BEGIN", "-----BEGIN", 1)), "--import")
	revoked, err := ParseKey(g.must(nil, "--armor", "--export", "gone@cert.example"))
	if err != nil {
		t.Fatal(err)
	}
	if st := revoked.Info(time.Now()).Status; st != "revoked" {
		t.Errorf("revoked key: status %q", st)
	}
	if _, err := ParseKeys([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBGVx\n")); err == nil {
		t.Error("a truncated key was read")
	}
}

func FuzzParseKeys(f *testing.F) {
	armored, _ := os.ReadFile("testdata/league.asc")
	f.Add(armored)
	f.Add(armored[:len(armored)/2])
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParseKeys(data)
		if err != nil {
			return
		}
		for _, k := range keys {
			k.Info(time.Now())
			if _, err := k.Armored(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
