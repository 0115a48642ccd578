-- Version 7: takedowns (issue 14).

-- contacts gain the kinds abuse (an abuse desk, which wins over RDAP for
-- what it covers) and le (law enforcement), and the column covers:
-- space-separated domains, CIDRs and AS numbers ("AS64500"). SQLite cannot
-- change a CHECK in place, so the table is rebuilt; tickets point at
-- contacts, so their institution is set aside while it is.
-- dialect sqlite
CREATE TEMP TABLE ticket_institutions AS
	SELECT number, institution FROM tickets WHERE institution IS NOT NULL;
UPDATE tickets SET institution = NULL WHERE institution IS NOT NULL;
CREATE TABLE contacts_new (
	id      INTEGER PRIMARY KEY,
	kind    TEXT NOT NULL CHECK (kind IN ('cert', 'institution', 'triager', 'abuse', 'le')),
	name    TEXT NOT NULL DEFAULT '',
	email   TEXT NOT NULL,
	domain  TEXT NOT NULL,
	country TEXT NOT NULL DEFAULT '',
	region  TEXT NOT NULL DEFAULT '',
	covers  TEXT NOT NULL DEFAULT '',
	UNIQUE (kind, email)
) STRICT;
INSERT INTO contacts_new (id, kind, name, email, domain, country, region)
	SELECT id, kind, name, email, domain, country, region FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
CREATE INDEX contacts_domain ON contacts(domain);
CREATE INDEX contacts_kind ON contacts(kind, country, region);
UPDATE tickets SET institution = (SELECT institution FROM ticket_institutions t WHERE t.number = tickets.number)
	WHERE number IN (SELECT number FROM ticket_institutions);
DROP TABLE ticket_institutions;
-- dialect postgres
-- PostgreSQL alters a CHECK in place (and would refuse to drop a table
-- that tickets reference): the same schema, without the rebuild.
ALTER TABLE contacts DROP CONSTRAINT contacts_kind_check;
ALTER TABLE contacts ADD CONSTRAINT contacts_kind_check CHECK (kind IN ('cert', 'institution', 'triager', 'abuse', 'le'));
ALTER TABLE contacts ADD COLUMN covers TEXT NOT NULL DEFAULT '';
-- dialect both

-- The outbox's new kinds (takedown, takedown-news) need no change here:
-- since version 6 the store checks kinds in Go (store.Kinds).

-- takedown_jobs: a #takedown command, recorded in the mail's transaction
-- and worked by the takedown timer in serve (RDAP look-ups are network
-- I/O, never done inside a transaction). values is a JSON array of
-- {type, value}; force is #takedown!. A job that failed for a reason that
-- may pass (a registry timing out) is tried again at next_attempt_at.
CREATE TABLE takedown_jobs (
	id              INTEGER PRIMARY KEY,
	ticket          INTEGER NOT NULL REFERENCES tickets(number),
	requested_by    TEXT NOT NULL,
	mail            INTEGER REFERENCES mails(id),
	value_list      TEXT NOT NULL DEFAULT '[]',
	force           INTEGER NOT NULL DEFAULT 0,
	state           TEXT NOT NULL CHECK (state IN ('pending', 'done')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	created_at      TEXT NOT NULL,
	done_at         TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX takedown_jobs_due ON takedown_jobs(next_attempt_at) WHERE state = 'pending';

-- takedown_requests: one indicator asked of one abuse contact. state:
-- requested, answered, down, up (back up after being down), expired
-- (watched for watch_for without going down).
CREATE TABLE takedown_requests (
	id           INTEGER PRIMARY KEY,
	ticket       INTEGER NOT NULL REFERENCES tickets(number),
	job          INTEGER REFERENCES takedown_jobs(id),
	type         TEXT NOT NULL,
	value        TEXT NOT NULL,
	contact      TEXT NOT NULL,
	contact_name TEXT NOT NULL DEFAULT '',
	source       TEXT NOT NULL,
	outbox       INTEGER REFERENCES outbox(id),
	state        TEXT NOT NULL CHECK (state IN ('requested', 'answered', 'down', 'up', 'expired')),
	requested_at TEXT NOT NULL,
	updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX takedown_requests_ticket ON takedown_requests(ticket);
CREATE INDEX takedown_requests_contact ON takedown_requests(contact, type, value, requested_at);

-- takedown_watch: one URL watched until it is gone; next_check_at empty
-- once the watch ended. redirects counts consecutive checks that ended on
-- another registrable domain (down only after two).
CREATE TABLE takedown_watch (
	ticket        INTEGER NOT NULL REFERENCES tickets(number),
	url           TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('up', 'down', 'expired')),
	started_at    TEXT NOT NULL,
	down_at       TEXT NOT NULL DEFAULT '',
	interval_s    INTEGER NOT NULL,
	next_check_at TEXT NOT NULL DEFAULT '',
	redirects     INTEGER NOT NULL DEFAULT 0,
	checks        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (ticket, url)
) STRICT;
CREATE INDEX takedown_watch_due ON takedown_watch(next_check_at) WHERE next_check_at <> '';

-- takedown_checks: the result of every liveness check.
CREATE TABLE takedown_checks (
	id        INTEGER PRIMARY KEY,
	ticket    INTEGER NOT NULL REFERENCES tickets(number),
	url       TEXT NOT NULL,
	at        TEXT NOT NULL,
	status    INTEGER NOT NULL DEFAULT 0,
	final_url TEXT NOT NULL DEFAULT '',
	verdict   TEXT NOT NULL,
	error     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX takedown_checks_ticket ON takedown_checks(ticket, url, id);
