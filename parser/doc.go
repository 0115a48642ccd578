// Package parser implements the reading of one raw mail (RFC 5322 bytes)
// into a Message: its envelope, its kind, the triage commands at its top,
// every attachment with its hashes, the mails forwarded in it at any depth,
// and the indicators found in all of them with where each was seen.
//
// The parser is pure: no I/O, no clock, no store. It never fails: a mail it
// cannot read in full still yields a Message, with the reasons in Errors.
// Hostile input is bounded before the MIME library sees it (see Limits).
package parser
