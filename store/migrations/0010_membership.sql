-- Version 10: hospitals hear back and join by mail (issue 15).

-- A contact that left the area alerts stays (its tickets keep their
-- institution) but gets no more alerts. (Its covers, from version 8, are
-- also the domains the impersonation watch compares with.)
ALTER TABLE contacts ADD COLUMN unsubscribed INTEGER NOT NULL DEFAULT 0;

-- verdicts: what a triager concluded when closing a ticket (#close
-- malicious, #reject = benign).
CREATE TABLE verdicts (
	ticket  INTEGER PRIMARY KEY REFERENCES tickets(number),
	verdict TEXT NOT NULL CHECK (verdict IN ('malicious', 'suspicious', 'benign', 'spam', 'duplicate', 'resolved')),
	by      TEXT NOT NULL DEFAULT '',
	at      TEXT NOT NULL
) STRICT;

-- unanswerable: why the reporter of a ticket must never be answered
-- (DESIGN.md invariants 3 and 7: a list, a null sender, a From our MTA
-- could not authenticate). The outcome of the ticket is not sent either.
CREATE TABLE unanswerable (
	ticket INTEGER PRIMARY KEY REFERENCES tickets(number),
	why    TEXT NOT NULL
) STRICT;
INSERT OR IGNORE INTO unanswerable (ticket, why)
	SELECT ticket, substr(detail, 1, 500) FROM events
	WHERE kind = 'flagged' AND detail LIKE 'unauthenticated sender: %';

-- memberships: a ticket of kind membership, someone asking to join.
CREATE TABLE memberships (
	ticket          INTEGER PRIMARY KEY REFERENCES tickets(number),
	email           TEXT NOT NULL,
	name            TEXT NOT NULL DEFAULT '',
	organisation    TEXT NOT NULL DEFAULT '',
	unauthenticated TEXT NOT NULL DEFAULT '',
	decision        TEXT NOT NULL DEFAULT '' CHECK (decision IN ('', 'approved', 'denied')),
	contact         INTEGER REFERENCES contacts(id)
) STRICT;

-- impersonations: an institution was told that a verified indicator
-- imitates one of its domains (covers); once per lookalike and
-- institution.
CREATE TABLE impersonations (
	contact INTEGER NOT NULL REFERENCES contacts(id),
	domain  TEXT NOT NULL,
	ticket  INTEGER NOT NULL REFERENCES tickets(number),
	at      TEXT NOT NULL,
	PRIMARY KEY (contact, domain)
) STRICT;
