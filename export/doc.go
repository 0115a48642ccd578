// Package export implements the league's public feeds: a STIX 2.1 bundle,
// a MISP feed folder and a CSV file of the indicators the league verified.
//
// The writers work on plain records (Ticket, Indicator) and know nothing
// of the store, so that the command line, the server's scheduled feeds and
// the escalation mails all publish the same thing. What may leave is
// decided in one place, Filter, which every writer applies: only verified
// indicators, only up to a TLP (green by default), and never an indicator
// that was also seen on a ticket of a stricter TLP.
//
// Nothing a reporter wrote is published: a ticket is named by its number,
// never by its subject, which often carries a person's name.
//
// Every id is derived from the league's name and the data (UUID version
// 5), so that exporting twice gives the same ids for the same indicators
// and tickets, and a feed that did not change is byte for byte the same.
package export
