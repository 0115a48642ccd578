-- Version 2: contacts, tickets, their participants, mails and events.

CREATE TABLE contacts (
	id      INTEGER PRIMARY KEY,
	kind    TEXT NOT NULL CHECK (kind IN ('cert', 'institution', 'triager')),
	name    TEXT NOT NULL DEFAULT '',
	email   TEXT NOT NULL,
	domain  TEXT NOT NULL,
	country TEXT NOT NULL DEFAULT '',
	region  TEXT NOT NULL DEFAULT '',
	UNIQUE (kind, email)
) STRICT;
CREATE INDEX contacts_domain ON contacts(domain);

-- tickets: number is never reused (AUTOINCREMENT).
CREATE TABLE tickets (
	number        INTEGER PRIMARY KEY AUTOINCREMENT,
	state         TEXT NOT NULL CHECK (state IN ('new', 'triaged', 'escalated', 'closed', 'rejected')),
	subject       TEXT NOT NULL DEFAULT '',
	reporter      TEXT NOT NULL DEFAULT '',
	reporter_name TEXT NOT NULL DEFAULT '',
	institution   INTEGER REFERENCES contacts(id),
	opened_by     INTEGER REFERENCES mails(id),
	follows       INTEGER REFERENCES tickets(number),
	flagged       INTEGER NOT NULL DEFAULT 0,
	severity      TEXT NOT NULL DEFAULT '',
	tlp           TEXT NOT NULL DEFAULT 'amber',
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL,
	closed_at     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX tickets_reporter ON tickets(reporter);

-- participants may reply to a ticket without being flagged.
CREATE TABLE participants (
	ticket   INTEGER NOT NULL REFERENCES tickets(number),
	email    TEXT NOT NULL,
	role     TEXT NOT NULL,
	added_at TEXT NOT NULL,
	PRIMARY KEY (ticket, email)
) STRICT;

-- ticket_mails puts incoming mails on a ticket: the report, replies,
-- bounces and auto-replies, with how each was matched.
CREATE TABLE ticket_mails (
	mail       INTEGER PRIMARY KEY REFERENCES mails(id),
	ticket     INTEGER NOT NULL REFERENCES tickets(number),
	role       TEXT NOT NULL,
	matched_by TEXT NOT NULL DEFAULT '',
	flagged    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX ticket_mails_ticket ON ticket_mails(ticket, mail);

-- events is the append-only audit log of every ticket.
CREATE TABLE events (
	id     INTEGER PRIMARY KEY,
	ticket INTEGER NOT NULL REFERENCES tickets(number),
	at     TEXT NOT NULL,
	actor  TEXT NOT NULL,
	kind   TEXT NOT NULL,
	mail   INTEGER REFERENCES mails(id),
	detail TEXT NOT NULL DEFAULT '',
	data   TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX events_ticket ON events(ticket, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
	SELECT RAISE(ABORT, 'events are append-only');
END;
