// Package notify implements the gateway's outbox sender: it takes the mails
// that triage queued in the store's outbox when they are due, renders them
// from package templates into RFC 5322 messages (plain text, an HTML part
// where the template has one, and for escalations and area alerts the
// indicators as CSV and as a STIX 2.1 bundle), signs them with DKIM when a
// key is configured, and submits them over SMTP, one connection per batch.
//
// Failures follow an MTA's rules (DESIGN.md invariant 2): a network error or
// a 4xx reply is retried with exponential backoff and jitter for days; a 5xx
// reply marks the mail failed and records it on its ticket, where a triager
// sees it.
//
// Loops and backscatter (DESIGN.md invariant 3) are decided by triage when
// it queues a mail; notify makes a last check before sending: never to one
// of our own domains, never to MAILER-DAEMON, postmaster or a null address,
// and every automatic mail carries Auto-Submitted (RFC 3834). Every header
// value that may come from a reporter passes through one function that
// drops CR and LF, so no input can add a header (invariant 6).
//
// # What templates get
//
// A mail's View is read from its outbox row's Data, a JSON object, and for
// escalations and alerts from the ticket as it is at send time. The keys
// notify reads from Data:
//
//	ticket, tag, subject, reporter, reporter_name, institution, country
//	indicators [{type, value}], indicator_count, attachments, follows,
//	errors, reply_to, correlation {reports, tickets, first_seen,
//	indicators [{type, value, tickets, first_seen}]}
//	                   what triage.TicketData holds (acks, triager notices)
//	text               a triager's words: the #reply text, an escalation's note
//	command, result    the command a confirmation or error is about, and what came of it
//	recipient_name     whom an escalation or alert addresses ("CERT-XX")
//	area               the area an alert is for
//	severity, tlp      override the ticket's
//	created            when the ticket was opened
package notify
