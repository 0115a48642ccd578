// Package warninglists implements MISP warninglists: lists of values that
// look like indicators but must not become ones a CERT blocks, such as the
// sending hosts and ranges of the big mail providers, URL shorteners,
// file-sharing platforms and documentation ranges.
//
// The format is MISP's (github.com/MISP/misp-warninglists): one list.json
// per list, with a name, a type (string, hostname, cidr, substring or
// regex), the list itself and the MISP attribute types it applies to.
// Load reads a checkout of that repository; Default is a smaller set
// written for this gateway, embedded, that serves when none is given.
//
// Matching is pure and safe for concurrent use: the parser is handed a
// loaded Set and asks it about each value it finds.
package warninglists
