-- Version 7: contacts' OpenPGP keys and S/MIME certificates.

-- keys holds the public keys the operator imported (leaguemail keys
-- import). Whether a key is usable (expired, revoked) is decided when it
-- is used, from data: the store keeps the key, not a verdict on it.
CREATE TABLE keys (
	fingerprint TEXT PRIMARY KEY,
	kind        TEXT NOT NULL CHECK (kind IN ('openpgp', 'smime')),
	data        BLOB NOT NULL,
	user_ids    TEXT NOT NULL DEFAULT '[]',
	expires_at  TEXT NOT NULL DEFAULT '',
	imported_at TEXT NOT NULL
) STRICT;

-- key_addresses binds a key to the mail addresses of its user IDs (or of
-- the certificate): the contacts with that address use it.
CREATE TABLE key_addresses (
	fingerprint TEXT NOT NULL REFERENCES keys(fingerprint) ON DELETE CASCADE,
	email       TEXT NOT NULL,
	PRIMARY KEY (fingerprint, email)
) STRICT;
CREATE INDEX key_addresses_email ON key_addresses(email);

-- signatures_used remembers which mail a signature first authenticated: the
-- same signed mail sent again (a replay, under another Subject) is known.
CREATE TABLE signatures_used (
	digest TEXT PRIMARY KEY,
	mail   INTEGER NOT NULL REFERENCES mails(id),
	at     TEXT NOT NULL
) STRICT;
