package taxii

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// keyPrefix starts every API key, so that a key pasted where it should
// not be (a ticket, a repository) is recognised by secret scanners.
const keyPrefix = "lmtaxii_"

// keyBytes is the key's randomness: 256 bits.
const keyBytes = 32

// keyLen is the length of a key as text.
var keyLen = len(keyPrefix) + base64.RawURLEncoding.EncodedLen(keyBytes)

// NewKey makes an API key and the hash under which the store keeps it.
func NewKey() (key string, hash []byte, err error) {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("make a TAXII key: %w", err)
	}
	key = keyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, HashKey(key), nil
}

// HashKey is how keys are stored: SHA-256. A key is 256 random bits, so
// no slow password-hashing function (bcrypt, Argon2) is needed to make a
// stolen hash useless: there is no dictionary to try, and 2^256 guesses
// are out of reach however fast each is. A fast hash keeps every request
// cheap.
func HashKey(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// wellFormed says whether s has the shape of one of our keys, checked
// before it goes near the store.
func wellFormed(s string) bool {
	if len(s) != keyLen || !strings.HasPrefix(s, keyPrefix) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s[len(keyPrefix):])
	return err == nil
}

// credentials reads the key of a request: "Authorization: Bearer KEY",
// or HTTP Basic (RFC 7617) with the key as the password (the user name
// is ignored; tools that have only a user name field may put it there).
// present says that the request tried to authenticate at all.
func credentials(header string) (key string, present bool) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", false
	}
	scheme, rest, _ := strings.Cut(header, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "bearer":
		return rest, true
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", true
		}
		user, pass, _ := strings.Cut(string(raw), ":")
		if pass == "" {
			return user, true
		}
		return pass, true
	}
	return "", true
}

// KeyStore finds keys by their hash.
type KeyStore interface {
	TAXIIKeyByHash(ctx context.Context, hash []byte) (store.TAXIIKey, []byte, error)
}

// errBadKey is a key that was given but is not a live key of ours.
var errBadKey = errors.New("unknown or revoked API key")

// authenticate returns the key of the request, nil for an anonymous one,
// or errBadKey.
func authenticate(ctx context.Context, ks KeyStore, r *http.Request) (*store.TAXIIKey, error) {
	key, present := credentials(r.Header.Get("Authorization"))
	if !present {
		return nil, nil
	}
	if !wellFormed(key) {
		return nil, errBadKey
	}
	hash := HashKey(key)
	k, stored, err := ks.TAXIIKeyByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	// The store found the row by its hash; compare again in constant time
	// so that no answer depends on how much of a guess was right.
	if subtle.ConstantTimeCompare(hash, stored) != 1 {
		return nil, errBadKey
	}
	return &k, nil
}
