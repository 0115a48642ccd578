-- Version 5: what triagers' commands change on a ticket beyond its state.

-- assignee is the triager who took the ticket (#take).
ALTER TABLE tickets ADD COLUMN assignee TEXT NOT NULL DEFAULT '';

-- merged_into is the ticket this one was folded into (#merge N): its mails
-- and sightings moved there, and mail that threads to it goes there too.
ALTER TABLE tickets ADD COLUMN merged_into INTEGER REFERENCES tickets(number);
CREATE INDEX tickets_merged_into ON tickets(merged_into) WHERE merged_into IS NOT NULL;

-- contacts are looked up by kind for routing (#escalate, #alert).
CREATE INDEX contacts_kind ON contacts(kind, country, region);
