-- Version 15: the IMAP messages in the intake's hands (issue 19).
--
-- A row is written, in_hand = 1, before the intake takes a message (or a
-- group of them) and deleted once it is taken, rejected or filed; a row
-- still in hand when the gateway starts was in hand when the process died
-- (out of memory, a crash in a C library). Its crashes then count one
-- more death in a row; a message at 3 is moved to the Failed folder with
-- a ticket saying why, instead of being fetched again forever.
CREATE TABLE intake_hands (
	mailbox      TEXT NOT NULL,
	uid_validity INTEGER NOT NULL,
	uid          INTEGER NOT NULL,
	in_hand      INTEGER NOT NULL DEFAULT 0,
	crashes      INTEGER NOT NULL DEFAULT 0,
	updated_at   TEXT NOT NULL,
	PRIMARY KEY (mailbox, uid_validity, uid)
) STRICT;
