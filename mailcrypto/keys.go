package mailcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/gopenpgp/v3/armor"
	"github.com/ProtonMail/gopenpgp/v3/crypto"
)

// Key is an OpenPGP public key as the league knows it.
type Key struct {
	k *crypto.Key
}

// KeyInfo describes a key for `keys list` and the store.
type KeyInfo struct {
	Fingerprint string    `json:"fingerprint"` // upper-case hex
	UserIDs     []string  `json:"user_ids"`
	Addresses   []string  `json:"addresses"` // the user IDs' mail addresses, lower case
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
	// Status is "usable", or why the key cannot be used: "expired",
	// "revoked", "no encryption subkey", "no signing key".
	Status string `json:"status"`
}

// Usable reports whether the key can encrypt to its owner and verify
// their signatures.
func (i KeyInfo) Usable() bool { return i.Status == "usable" }

// pgp is the handle every operation uses. The default profile writes
// what GnuPG 2.2 reads: v4 keys, SEIPDv1 (no AEAD), AES-256, SHA-256.
var pgp = crypto.PGP()

// ParseKeys reads one or more OpenPGP keys, armored (any number of
// blocks) or binary. Secret keys are reduced to their public part: the
// league keeps no one else's secret.
func ParseKeys(data []byte) ([]*Key, error) {
	var bins [][]byte
	if bytes.Contains(data, []byte("-----BEGIN PGP")) {
		rest := data
		for {
			i := bytes.Index(rest, []byte("-----BEGIN PGP"))
			if i < 0 {
				break
			}
			rest = rest[i:]
			end := bytes.Index(rest, []byte("-----END PGP"))
			if end < 0 {
				return nil, errors.New("an armored block has no END line (truncated?)")
			}
			stop := bytes.IndexByte(rest[end:], '\n')
			if stop < 0 {
				stop = len(rest) - end
			}
			block := rest[:end+stop]
			rest = rest[end+stop:]
			if !bytes.HasPrefix(block, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) &&
				!bytes.HasPrefix(block, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
				continue // a signature or message beside the key: not a key
			}
			b, err := armor.UnarmorBytes(block)
			if err != nil {
				return nil, fmt.Errorf("unarmor: %w", err)
			}
			bins = append(bins, b)
		}
		if len(bins) == 0 {
			return nil, errors.New("no OpenPGP key block in it")
		}
	} else {
		bins = [][]byte{data}
	}
	var keys []*Key
	for _, b := range bins {
		kr, err := crypto.NewKeyRingFromBinary(b)
		if err != nil {
			return nil, fmt.Errorf("read key: %w", err)
		}
		for _, k := range kr.GetKeys() {
			if k.IsPrivate() {
				pub, err := k.ToPublic()
				if err != nil {
					return nil, fmt.Errorf("public part of key %s: %w", k.GetFingerprint(), err)
				}
				k = pub
			}
			keys = append(keys, &Key{k: k})
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("no OpenPGP key in it")
	}
	return keys, nil
}

// ParseKey reads exactly one key.
func ParseKey(data []byte) (*Key, error) {
	ks, err := ParseKeys(data)
	if err != nil {
		return nil, err
	}
	if len(ks) != 1 {
		return nil, fmt.Errorf("%d keys where one was expected", len(ks))
	}
	return ks[0], nil
}

// Fingerprint is the key's fingerprint, upper-case hex.
func (k *Key) Fingerprint() string { return strings.ToUpper(k.k.GetFingerprint()) }

// Armored is the public key, armored.
func (k *Key) Armored() ([]byte, error) {
	s, err := k.k.GetArmoredPublicKey()
	if err != nil {
		return nil, fmt.Errorf("armor key %s: %w", k.Fingerprint(), err)
	}
	return []byte(s), nil
}

// Binary is the public key, unarmored (what WKD serves).
func (k *Key) Binary() ([]byte, error) { return k.k.GetPublicKey() }

// Info describes k as it stands at now.
func (k *Key) Info(now time.Time) KeyInfo {
	e := k.k.GetEntity()
	i := KeyInfo{Fingerprint: k.Fingerprint(), Created: e.PrimaryKey.CreationTime}
	names := make([]string, 0, len(e.Identities))
	for name := range e.Identities {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		id := e.Identities[name]
		i.UserIDs = append(i.UserIDs, name)
		if a := userIDAddress(id.UserId); a != "" && !slices.Contains(i.Addresses, a) {
			i.Addresses = append(i.Addresses, a)
		}
	}
	if sig, err := e.PrimarySelfSignature(time.Time{}, &packet.Config{}); err == nil &&
		sig.KeyLifetimeSecs != nil && *sig.KeyLifetimeSecs > 0 {
		i.Expires = e.PrimaryKey.CreationTime.Add(time.Duration(*sig.KeyLifetimeSecs) * time.Second)
	}
	t := now.Unix()
	switch {
	case k.k.IsRevoked(t):
		i.Status = "revoked"
	case k.k.IsExpired(t):
		i.Status = "expired"
	case !k.k.CanEncrypt(t):
		// Expired or revoked subkeys end here too.
		i.Status = "no usable encryption subkey"
	case !k.k.CanVerify(t):
		i.Status = "no usable signing key"
	default:
		i.Status = "usable"
	}
	return i
}

// userIDAddress is the mail address of a user ID, lower case: its Email
// field, or the user ID itself when it is a bare address.
func userIDAddress(u *packet.UserId) string {
	if u == nil {
		return ""
	}
	a := u.Email
	if a == "" {
		if p, err := mail.ParseAddress(u.Id); err == nil {
			a = p.Address
		}
	}
	a = strings.ToLower(strings.TrimSpace(a))
	if strings.Count(a, "@") != 1 {
		return ""
	}
	return a
}

func keyRing(keys []*Key) (*crypto.KeyRing, error) {
	kr, err := crypto.NewKeyRing(nil)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := kr.AddKey(k.k); err != nil {
			return nil, fmt.Errorf("key %s: %w", k.Fingerprint(), err)
		}
	}
	return kr, nil
}

func unarmor(b []byte) ([]byte, error) { return armor.UnarmorBytes(b) }
