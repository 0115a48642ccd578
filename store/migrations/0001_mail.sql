-- Version 1: mail as received, where it came from, and mailbox checkpoints.

-- raw holds the bytes of every mail exactly as received, addressed by their
-- SHA-256 (lower-case hex). bytes becomes NULL when retention purges it.
CREATE TABLE raw (
	sha256 TEXT PRIMARY KEY,
	size   INTEGER NOT NULL,
	bytes  BLOB
) STRICT;

-- mails holds one row per distinct mail taken in: the parse result and what
-- triage made of it (disposition).
CREATE TABLE mails (
	id          INTEGER PRIMARY KEY,
	sha256      TEXT NOT NULL UNIQUE,
	message_id  TEXT NOT NULL DEFAULT '',
	sender      TEXT NOT NULL DEFAULT '',
	subject     TEXT NOT NULL DEFAULT '',
	date        TEXT NOT NULL DEFAULT '',
	received_at TEXT NOT NULL,
	kind        TEXT NOT NULL DEFAULT '',
	parse       TEXT NOT NULL DEFAULT '{}',
	errors      TEXT NOT NULL DEFAULT '[]',
	disposition TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX mails_message_id ON mails(message_id) WHERE message_id <> '';

-- origins says where each mail came from: an IMAP mailbox with its
-- UIDVALIDITY and UID, or "file:PATH" with the mail's ordinal in the file.
-- A mail seen in two places has two rows.
CREATE TABLE origins (
	mailbox      TEXT NOT NULL,
	uid_validity INTEGER NOT NULL,
	uid          INTEGER NOT NULL,
	mail         INTEGER NOT NULL REFERENCES mails(id),
	taken_at     TEXT NOT NULL,
	PRIMARY KEY (mailbox, uid_validity, uid, mail)
) STRICT;
CREATE INDEX origins_mail ON origins(mail);

-- checkpoints holds, per IMAP mailbox, the highest UID taken in.
CREATE TABLE checkpoints (
	mailbox      TEXT PRIMARY KEY,
	uid_validity INTEGER NOT NULL,
	last_uid     INTEGER NOT NULL,
	updated_at   TEXT NOT NULL
) STRICT;
