-- Version 4: the outbox, and settings the store keeps for itself.

-- outbox: every mail the gateway will send, queued in the transaction of
-- the change that caused it. message_id is generated at queue time so that
-- replies and bounces can be matched to it.
CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	ticket          INTEGER REFERENCES tickets(number),
	kind            TEXT NOT NULL CHECK (kind IN ('ack', 'triager-notice', 'escalation', 'alert', 'reply', 'command-confirm', 'command-error')),
	recipients      TEXT NOT NULL DEFAULT '[]',
	sender          TEXT NOT NULL DEFAULT '',
	reply_to        TEXT NOT NULL DEFAULT '',
	message_id      TEXT NOT NULL UNIQUE,
	in_reply_to     TEXT NOT NULL DEFAULT '',
	refs            TEXT NOT NULL DEFAULT '[]',
	subject         TEXT NOT NULL DEFAULT '',
	template        TEXT NOT NULL,
	data            TEXT NOT NULL DEFAULT '{}',
	state           TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed', 'suppressed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL DEFAULT '',
	last_error      TEXT NOT NULL DEFAULT '',
	dsn_status      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	sent_at         TEXT NOT NULL DEFAULT '',
	cause           INTEGER REFERENCES mails(id)
) STRICT;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';
CREATE INDEX outbox_ticket ON outbox(ticket);
-- one ack per recipient: the rate limit counts these.
CREATE INDEX outbox_kind_recipients ON outbox(kind, recipients, created_at);

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
