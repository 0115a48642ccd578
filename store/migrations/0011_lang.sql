-- languages holds the language of an address (BCP 47, "fr"), from the
-- contacts' optional lang column: the mails to it are written in it when
-- the templates have it (issue 20). Kept apart from contacts: one address
-- has one language whatever its kinds of contact.
CREATE TABLE languages (
	email TEXT PRIMARY KEY,
	lang  TEXT NOT NULL
) STRICT;
