package mailcrypto

import (
	"crypto/sha1"
	"net/http"
	"strings"
)

// zbase32 is the alphabet of z-base-32 (RFC 6189 section 5.1.6), which
// WKD uses for the hashed local part.
const zbase32 = "ybndrfg8ejkmcpqxot1uwisza345h769"

// WKDHash is the Web Key Directory name of an address's local part: the
// z-base-32 of the SHA-1 of the lower-cased local part
// (draft-koch-openpgp-webkey-service section 3.1).
func WKDHash(local string) string {
	sum := sha1.Sum([]byte(strings.ToLower(local)))
	var b strings.Builder
	var acc uint32
	bits := 0
	for _, c := range sum {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 5 {
			b.WriteByte(zbase32[(acc>>(bits-5))&31])
			bits -= 5
		}
	}
	if bits > 0 {
		b.WriteByte(zbase32[(acc<<(5-bits))&31])
	}
	return b.String()
}

// WKDURL is where the direct method of WKD finds address's key.
func WKDURL(address string) string {
	local, domain, _ := strings.Cut(address, "@")
	return "https://" + strings.ToLower(domain) + "/.well-known/openpgpkey/hu/" + WKDHash(local) + "?l=" + local
}

// Handler serves the league's public key: the WKD direct method
// (/.well-known/openpgpkey/hu/<hash>, binary, and the policy file the
// method requires) and /key.asc, armored, for people.
func (l *League) Handler(address string) http.Handler {
	local, _, _ := strings.Cut(address, "@")
	hash := WKDHash(local)
	bin, _ := l.public.Binary()
	armored, _ := l.public.Armored()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openpgpkey/hu/{hash}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("hash") != hash {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write(bin)
	})
	mux.HandleFunc("GET /.well-known/openpgpkey/policy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
	})
	mux.HandleFunc("GET /key.asc", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pgp-keys")
		w.Write(armored)
	})
	return mux
}
