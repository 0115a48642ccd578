// Package takedown implements the league's takedown loop (issue 14): it
// finds who can take a verified phishing URL or domain down (the
// registrar's and the hoster's abuse desks, through RDAP and IANA's
// bootstrap files, or an abuse contact of ours that covers it), mails each
// desk once with an XARF v4 report attached, then checks the URLs until
// they are gone and tells the triagers and the reporter.
//
// It runs as timers in serve (DESIGN.md): the #takedown command only
// records a job in the store inside the triager's mail transaction; the
// Service works jobs and checks outside any transaction (network I/O),
// then writes the outcome to the store and queues the mails in the outbox
// in one transaction, as triage does. It never sends mail itself.
package takedown
