-- Version 13: several gateways on one store (issue 21).

-- leases: who leads (runs the IMAP intake and the timers). A lease is
-- held until expires_ms, in milliseconds of the database's clock (the
-- one clock every gateway shares); epoch rises at every change of
-- holder, so a leader knows whether what it holds is still its own.
CREATE TABLE leases (
	name        TEXT PRIMARY KEY,
	holder      TEXT NOT NULL,
	epoch       INTEGER NOT NULL,
	expires_ms  INTEGER NOT NULL,
	acquired_ms INTEGER NOT NULL
) STRICT;

-- An outbox mail is claimed by one sender until claim_until (database
-- clock, milliseconds): a sender that died gives its claims back when
-- they run out.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
