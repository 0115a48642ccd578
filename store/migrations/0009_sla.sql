-- Version 9: response targets, waits, reminders and daily digests (issue 16).

-- sla_waits: a ticket waits on someone's answer (#wait): its resolve
-- clock is paused from since until the answer, or until `until` when the
-- triager gave a duration. paused is the time, in milliseconds, the clock
-- stood still in waits that ended. The ticket keeps its state (triaged,
-- escalated): the wait is a pause of the clock, and what the ticket
-- resumes to is its state as it was. Kept apart from tickets, whose state
-- CHECK SQLite cannot alter without rebuilding the table that six others
-- reference.
CREATE TABLE sla_waits (
	ticket  INTEGER PRIMARY KEY REFERENCES tickets(number),
	since   TEXT NOT NULL DEFAULT '',
	until   TEXT NOT NULL DEFAULT '',
	reason  TEXT NOT NULL DEFAULT '',
	by      TEXT NOT NULL DEFAULT '',
	paused  INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX sla_waits_waiting ON sla_waits(since) WHERE since <> '';

-- sla_reminders: the reminder for one target of one ticket was queued;
-- never twice, across restarts (the row is written in the transaction
-- that queues the mail).
CREATE TABLE sla_reminders (
	ticket INTEGER NOT NULL REFERENCES tickets(number),
	target TEXT NOT NULL,
	at     TEXT NOT NULL,
	outbox INTEGER REFERENCES outbox(id),
	PRIMARY KEY (ticket, target)
) STRICT;

-- sla_digests: the daily digest due at `due` went to triager.
CREATE TABLE sla_digests (
	triager TEXT NOT NULL,
	due     TEXT NOT NULL,
	outbox  INTEGER REFERENCES outbox(id),
	PRIMARY KEY (triager, due)
) STRICT;

-- triager_shifts: the on-call rota read from the contacts file's shift
-- column, "Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC".
CREATE TABLE triager_shifts (
	email TEXT PRIMARY KEY,
	shift TEXT NOT NULL
) STRICT;

-- the first response is the first command event of a ticket.
CREATE INDEX events_kind ON events(kind, ticket, at);
