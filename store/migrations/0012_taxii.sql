-- Version 12: the TAXII 2.1 server (issue 22).

-- An institution's sector ("health", "pharma"...): a TAXII key scoped to a
-- sector sees the TLP:AMBER indicators of the tickets its institutions
-- reported. Free text, lower-cased by contacts import.
ALTER TABLE contacts ADD COLUMN sector TEXT NOT NULL DEFAULT '';

-- taxii_keys: one API key per consumer. Only the SHA-256 of the key is
-- kept (the key is 256 random bits: no password-hashing function is
-- needed to make guessing it hopeless). tlp is the strictest TLP it may
-- see; country and sector, when set, limit what it sees above TLP:GREEN
-- to the tickets of institutions of that country and sector. A revoked
-- key stays, for the logs and the audit.
CREATE TABLE taxii_keys (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	tlp        TEXT NOT NULL CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict')),
	country    TEXT NOT NULL DEFAULT '',
	sector     TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	revoked_at TEXT NOT NULL DEFAULT ''
) STRICT;
-- One live key per name: the name is what the logs and the collection
-- are known by.
CREATE UNIQUE INDEX taxii_keys_live_name ON taxii_keys(name) WHERE revoked_at = '';

-- taxii_added: when each version of an object was first served in a
-- collection (TAXII 2.1 date_added), so that added_after pages alike on
-- every poll. Within a collection every date_added is distinct, so that
-- a client paging by added_after alone skips nothing.
CREATE TABLE taxii_added (
	collection TEXT NOT NULL,
	object     TEXT NOT NULL,
	version    TEXT NOT NULL,
	date_added TEXT NOT NULL,
	PRIMARY KEY (collection, object, version)
) STRICT;
CREATE UNIQUE INDEX taxii_added_order ON taxii_added(collection, date_added);
