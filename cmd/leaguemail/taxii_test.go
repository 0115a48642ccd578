package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/internal/testcert"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/taxii"
)

func TestTAXIIKeysCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "test.db")
	cfgFile := filepath.Join(dir, "leaguemail.toml")
	os.WriteFile(cfgFile, []byte("[league]\naddress = \"report@league.example\"\n[store]\npath = \""+db+"\"\n[http]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://feeds.league.example\"\n"), 0o600)
	leaguemail := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), append(args, "--config", cfgFile), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := leaguemail("taxii", "keys", "add", "cert-fr", "--tlp", "amber", "--country", "fr")
	if code != 0 {
		t.Fatalf("add: %d %q", code, errs)
	}
	key := regexp.MustCompile(`lmtaxii_[A-Za-z0-9_-]{43}`).FindString(out)
	if key == "" || !strings.Contains(out, "https://feeds.league.example/taxii2/") ||
		!strings.Contains(out, taxii.KeyCollectionID("Hospital League", "cert-fr")) || !strings.Contains(out, "country FR") {
		t.Fatalf("add printed %q: want the key, the discovery URL and the collection id", out)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	k, stored, err := st.TAXIIKeyByHash(context.Background(), taxii.HashKey(key))
	st.Close()
	if err != nil || k.Name != "cert-fr" || k.TLP != "amber" || k.Country != "FR" || bytes.Contains(stored, []byte(key)) {
		t.Fatalf("the store holds %+v %v", k, err)
	}
	raw, _ := os.ReadFile(db)
	if bytes.Contains(raw, []byte(key)) {
		t.Fatal("the key itself is in the store")
	}
	for _, bad := range [][]string{
		{"taxii", "keys", "add", "x", "--tlp", "red"},
		{"taxii", "keys", "add", "x"},
		{"taxii", "keys", "add", "public", "--tlp", "green"},
		{"taxii", "keys", "add", "a b", "--tlp", "green"},
		{"taxii", "keys", "add", "x", "--tlp", "green", "--country", "France"},
	} {
		if code, _, errs := leaguemail(bad...); code != 2 {
			t.Errorf("%v: exit %d %q, want 2", bad, code, errs)
		}
	}
	if code, _, errs := leaguemail("taxii", "keys", "add", "cert-fr", "--tlp", "green"); code != 1 || !strings.Contains(errs, "revoke it first") {
		t.Errorf("a second cert-fr: %d %q", code, errs)
	}
	code, out, _ = leaguemail("taxii", "keys", "list", "--json")
	var ks []store.TAXIIKey
	if code != 0 || json.Unmarshal([]byte(out), &ks) != nil || len(ks) != 1 || strings.Contains(out, key) {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, errs := leaguemail("taxii", "keys", "revoke", "cert-fr"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %d %q %q", code, out, errs)
	}
	if code, _, errs := leaguemail("taxii", "keys", "revoke", "cert-fr"); code != 1 || !strings.Contains(errs, "no live key") {
		t.Errorf("revoke twice: %d %q", code, errs)
	}
}

// The listener refuses plain HTTP off loopback once keys exist, and
// serves HTTPS from [http] tls_cert.
func TestListenPlainHTTPOffLoopback(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := testcert.Write(cert, key, "leaguemail"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name, http string
		keys       bool
		wantErr    string
	}{
		{"no keys, any address", "listen = \"0.0.0.0:0\"", false, ""},
		{"keys on loopback", "listen = \"127.0.0.1:0\"", true, ""},
		{"keys off loopback", "listen = \"0.0.0.0:0\"", true, "[http] listen: 0.0.0.0:0 is not a loopback address and 1 TAXII key(s) exist"},
		{"keys off loopback with TLS", "listen = \"0.0.0.0:0\"\ntls_cert = \"" + cert + "\"\ntls_key = \"" + key + "\"", true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Parse("leaguemail.toml", []byte("[store]\npath = \""+filepath.Join(t.TempDir(), "s.db")+"\"\n[http]\n"+tc.http+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(ctx, cfg.Store.Path)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if tc.keys {
				st.AddTAXIIKey(ctx, store.TAXIIKey{Name: "k", TLP: "green"}, []byte("h"))
			}
			g := &gateway{cfg: cfg, st: st, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			ln, err := g.listen(ctx)
			if ln != nil {
				ln.Close()
			}
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("listen: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct{ text, want string }{
		{"[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"" + missing + "\"\n", "leaguemail.toml:1: [http] tls_key: missing"},
		{"[http]\nlisten = \"127.0.0.1:0\"\ntls_cert = \"" + missing + "\"\ntls_key = \"" + missing + "\"\n", "leaguemail.toml:3: [http] tls_cert: cannot load"},
		{"[taxii]\nrate_per_second = -1\n", "leaguemail.toml:2: [taxii] rate_per_second"},
	} {
		_, err := config.Parse("leaguemail.toml", []byte(tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

// A renewed certificate is served without a restart; one that does not
// load leaves the old one in place.
func TestCertFilesReload(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := testcert.Write(cert, key, "first"); err != nil {
		t.Fatal(err)
	}
	c, err := newCertFiles(cert, key, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	leaf := func() string {
		crt, err := c.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		x, err := x509.ParseCertificate(crt.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return x.Subject.CommonName
	}
	if got := leaf(); got != "first" {
		t.Fatalf("served %q", got)
	}
	if err := testcert.Write(cert, key, "renewed"); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	os.Chtimes(cert, future, future)
	c.checked = time.Time{}
	if got := leaf(); got != "renewed" {
		t.Fatalf("after renewal served %q", got)
	}
	os.WriteFile(key, []byte("not a key"), 0o600)
	later := future.Add(time.Hour)
	os.Chtimes(key, later, later)
	c.checked = time.Time{}
	if got := leaf(); got != "renewed" {
		t.Fatalf("a broken renewal: served %q, want the old certificate", got)
	}
}
