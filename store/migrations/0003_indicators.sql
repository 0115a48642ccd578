-- Version 3: indicators and where they were seen.

CREATE TABLE indicators (
	id         INTEGER PRIMARY KEY,
	type       TEXT NOT NULL,
	value      TEXT NOT NULL,
	verified   INTEGER NOT NULL DEFAULT 0,
	first_seen TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	UNIQUE (type, value)
) STRICT;

-- sightings: one row per indicator, ticket and layer (report: the
-- reporter's own words; evidence: a mail they forwarded).
CREATE TABLE sightings (
	indicator  INTEGER NOT NULL REFERENCES indicators(id),
	ticket     INTEGER NOT NULL REFERENCES tickets(number),
	layer      TEXT NOT NULL,
	first_mail INTEGER NOT NULL REFERENCES mails(id),
	last_mail  INTEGER NOT NULL REFERENCES mails(id),
	first_seen TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	count      INTEGER NOT NULL DEFAULT 1,
	sources    TEXT NOT NULL DEFAULT '[]',
	PRIMARY KEY (indicator, ticket, layer)
) STRICT;
CREATE INDEX sightings_ticket ON sightings(ticket);
