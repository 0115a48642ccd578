-- Version 6: evidence is not the league's word (DESIGN.md invariant 7).

-- A sighting from a flagged or unauthenticated mail is pending: kept and
-- shown to triagers, but out of #verify, escalations, alerts, feeds and
-- correlation until a triager accepts it. pending_from says who sent it.
-- A sighting seen again in an accepted mail is accepted.
ALTER TABLE sightings ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sightings ADD COLUMN pending_from TEXT NOT NULL DEFAULT '';
CREATE INDEX sightings_pending ON sightings(ticket) WHERE pending = 1;

-- verifications: a triager vouched for an indicator on a ticket. What the
-- feeds publish, and under which TLP, follows from these rows and the
-- tickets they name, never from a mere sighting.
CREATE TABLE verifications (
	indicator INTEGER NOT NULL REFERENCES indicators(id),
	ticket    INTEGER NOT NULL REFERENCES tickets(number),
	by        TEXT NOT NULL DEFAULT '',
	at        TEXT NOT NULL,
	PRIMARY KEY (indicator, ticket)
) STRICT;
CREATE INDEX verifications_ticket ON verifications(ticket);

-- Indicators verified before this version were verified on every ticket
-- that saw them: the old model kept no more than that.
INSERT INTO verifications (indicator, ticket, by, at)
	SELECT DISTINCT s.indicator, s.ticket, '', i.last_seen
	FROM sightings s JOIN indicators i ON i.id = s.indicator
	WHERE i.verified = 1;

-- The outbox's kinds were fixed by a CHECK that SQLite cannot alter; the
-- table is rebuilt without it, and the store checks the kind instead
-- (store.Kinds), so that a new kind of mail needs no new table.
CREATE TABLE outbox_new (
	id              INTEGER PRIMARY KEY,
	ticket          INTEGER REFERENCES tickets(number),
	kind            TEXT NOT NULL,
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
INSERT INTO outbox_new SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'queued';
CREATE INDEX outbox_ticket ON outbox(ticket);
CREATE INDEX outbox_kind_recipients ON outbox(kind, recipients, created_at);
-- the global budget of automatic mail counts by time.
CREATE INDEX outbox_created ON outbox(created_at);
-- Updates to triagers used the notice's kind with their own template.
UPDATE outbox SET kind = 'triager-update' WHERE kind = 'triager-notice' AND template = 'triager-update';
