// Package mailin implements the gateway's mail sources: the IMAP intake that
// reads the league's mailboxes, and the reader of .eml, mbox and Maildir files
// behind "leaguemail ingest".
//
// The intake keeps DESIGN.md's first invariant: a message's bytes are handed to
// the Sink, which commits them, before the message is moved or flagged on the
// server. Messages are fetched with BODY.PEEK[] so that nothing marks them
// \Seen, taken strictly in UID order, and moved to the processed folder only
// after the Sink returns. A crash anywhere in between is repaired at the next
// start: the Sink's checkpoint says which UIDs are already in, those still in
// the mailbox are moved without being taken again, and Take's idempotence
// covers the rest.
package mailin
