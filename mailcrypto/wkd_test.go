package mailcrypto

import (
	"bytes"
	"io"
	"net/http/httptest"
	"testing"
)

func TestWKDHash(t *testing.T) {
	// The example of draft-koch-openpgp-webkey-service section 3.1.
	if got := WKDHash("Joe.Doe"); got != "iy9q119eutrkn8s1mk4r39qejnbu3n5q" {
		t.Errorf("WKDHash(Joe.Doe) = %s", got)
	}
}

func TestHandlerServesKey(t *testing.T) {
	l := league(t)
	srv := httptest.NewServer(l.Handler("report@league.example"))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL + "/.well-known/openpgpkey/hu/" + WKDHash("report"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	k, err := ParseKey(body)
	if err != nil || k.Fingerprint() != l.Public().Fingerprint() {
		t.Fatalf("WKD serves %d bytes: %v", len(body), err)
	}
	res, _ = srv.Client().Get(srv.URL + "/.well-known/openpgpkey/hu/" + WKDHash("someone"))
	if res.StatusCode != 404 {
		t.Errorf("another address's hash: %d", res.StatusCode)
	}
	res, _ = srv.Client().Get(srv.URL + "/key.asc")
	body, _ = io.ReadAll(res.Body)
	if !bytes.HasPrefix(body, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) || bytes.Contains(body, []byte("PRIVATE")) {
		t.Errorf("/key.asc serves %q", body[:min(len(body), 60)])
	}
}
