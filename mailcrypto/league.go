package mailcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ProtonMail/gopenpgp/v3/crypto"
)

// League is the league's own OpenPGP key, unlocked: it signs what the
// league sends and decrypts what is sent to it.
type League struct {
	secret *crypto.Key
	ring   *crypto.KeyRing
	public *Key
}

// LoadLeague reads the league's armored secret key from keyFile
// ([crypto] key), unlocked with the passphrase in passphraseFile
// ([crypto] passphrase_file, "" when the key has none; its trailing line
// end is not part of the passphrase).
func LoadLeague(keyFile, passphraseFile string) (*League, error) {
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("league key: %w", err)
	}
	var pass []byte
	if passphraseFile != "" {
		p, err := os.ReadFile(passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("league key passphrase: %w", err)
		}
		pass = bytes.TrimRight(p, "\r\n")
	}
	l, err := ParseLeague(data, pass)
	if err != nil {
		return nil, fmt.Errorf("league key %s: %w", keyFile, err)
	}
	return l, nil
}

// ParseLeague reads the league's armored secret key and unlocks it.
func ParseLeague(armored, passphrase []byte) (*League, error) {
	k, err := crypto.NewKeyFromArmored(string(armored))
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if !k.IsPrivate() {
		return nil, errors.New("it is a public key; the league's key must be the secret key (leaguemail keys generate writes one)")
	}
	locked, err := k.IsLocked()
	if err != nil {
		return nil, err
	}
	if locked {
		if len(passphrase) == 0 {
			return nil, errors.New("the key is protected by a passphrase: set [crypto] passphrase_file")
		}
		if k, err = k.Unlock(passphrase); err != nil {
			return nil, fmt.Errorf("unlock (wrong passphrase?): %w", err)
		}
	}
	pub, err := k.ToPublic()
	if err != nil {
		return nil, err
	}
	l := &League{secret: k, public: &Key{k: pub}}
	if i := l.public.Info(time.Now()); !i.Usable() {
		return nil, fmt.Errorf("key %s is %s", i.Fingerprint, i.Status)
	}
	if l.ring, err = crypto.NewKeyRing(k); err != nil {
		return nil, err
	}
	return l, nil
}

// Public is the league's public key.
func (l *League) Public() *Key { return l.public }

// Generate makes a new league key for address (name as its display
// name) and returns it armored, locked with passphrase when one is given.
// It is a v4 Curve25519 key (EdDSA signing, ECDH encryption subkey): what
// GnuPG 2.2 and later read.
func Generate(name, address string, passphrase []byte) ([]byte, error) {
	address = strings.TrimSpace(address)
	if strings.Count(address, "@") != 1 {
		return nil, fmt.Errorf("%q is not a mail address", address)
	}
	k, err := pgp.KeyGeneration().AddUserId(name, address).New().GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	if len(passphrase) > 0 {
		if k, err = pgp.LockKey(k, passphrase); err != nil {
			return nil, fmt.Errorf("lock key: %w", err)
		}
	}
	s, err := k.Armor()
	if err != nil {
		return nil, err
	}
	return []byte(s), nil
}
