package config

import "strings"

// Crypto is the league's OpenPGP key and S/MIME certificate, and when
// mail must travel encrypted.
type Crypto struct {
	// Key is the league's armored OpenPGP secret key (leaguemail keys
	// generate writes one); PassphraseFile holds its passphrase, if any.
	Key            string `toml:"key"`
	PassphraseFile string `toml:"passphrase_file"`
	// Sign signs every mail that is not encrypted (multipart/signed);
	// true by default when Key is set.
	Sign *bool `toml:"sign"`
	// RequireFor is the lowest TLP whose detail goes to a recipient only
	// encrypted: clear, green, amber (the default when Key is set), red,
	// or none. A recipient without a usable key gets a mail saying that a
	// report waits for their key, and the triagers are told.
	RequireFor string `toml:"require_for"`
	// KeyURL is where the acknowledgement says the league's key can be
	// fetched (the WKD address on the league's domain when empty).
	KeyURL string `toml:"key_url"`
	// SMIMECert and SMIMEKey are the league's S/MIME certificate and
	// private key, PEM, to decrypt and sign S/MIME mail.
	SMIMECert string `toml:"smime_cert"`
	SMIMEKey  string `toml:"smime_key"`
}

// Signs reports whether unencrypted mail is signed.
func (c Crypto) Signs() bool {
	if c.Sign != nil {
		return *c.Sign
	}
	return c.Key != ""
}

// Required is the lowest TLP that must travel encrypted, "none" for no
// requirement.
func (c Crypto) Required() string {
	if c.RequireFor != "" {
		return strings.ToLower(c.RequireFor)
	}
	if c.Key != "" {
		return "amber"
	}
	return "none"
}

func (c *Config) checkCrypto() error {
	// Whether the files exist and hold keys is checked where they are
	// read (serve, check-config): `keys generate` writes the key that
	// [crypto] key names.
	k := c.Crypto
	if k.PassphraseFile != "" && k.Key == "" {
		return c.Errorf("crypto.passphrase_file", "set, but [crypto] key is not")
	}
	if (k.SMIMECert == "") != (k.SMIMEKey == "") {
		return c.Errorf("crypto.smime_cert", "smime_cert and smime_key go together: set both or neither")
	}
	switch strings.ToLower(k.RequireFor) {
	case "", "none", "clear", "white", "green", "amber", "amber+strict", "red":
	default:
		return c.Errorf("crypto.require_for", "%q: want clear, green, amber, red or none", k.RequireFor)
	}
	if k.Sign != nil && *k.Sign && k.Key == "" {
		return c.Errorf("crypto.sign", "true, but [crypto] key is not set: there is nothing to sign with")
	}
	return nil
}
