// Package sla implements the league's service targets: a first-response
// and a resolve target per severity, the on-call rota of the triagers,
// the reminders sent when a ticket reaches a target (and, at twice the
// target, to the leads as well), and each triager's daily digest.
//
// It runs as a timer in `serve`: each tick reads the tickets' clocks from
// the store and queues what is due in the outbox, in the transaction that
// records it as queued, so that a reminder is never sent twice for the
// same target of the same ticket, across restarts. It never sends mail
// itself: package notify does, within the budget of automatic mail.
//
// First response is the first authenticated triager command run on the
// ticket (#take and #reply included). A ticket's resolve clock stands
// still while it waits (#wait) on someone else's answer.
package sla
