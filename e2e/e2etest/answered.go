package e2etest

import (
	"fmt"
	"slices"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// WaitAnswered waits until n reports have left INBOX for Processed, the
// hospitals' mailboxes hold n acknowledgements with Postfix's queue empty,
// and the outbox has recorded every mail as sent; it returns the outbox.
// Processed may hold more than n: a Dovecot stopped in the middle of an
// LMTP delivery may save a mail and still answer 421, and Postfix then
// delivers it again, which the gateway takes as the same report.
func (e *Env) WaitAnswered(n int, hospitals []string, limit time.Duration) []store.OutboxMail {
	t := e.T
	t.Helper()
	boxes := func() string {
		return fmt.Sprintf("INBOX %d, Processed %d, Failed %d, Postfix queue %d",
			e.Dovecot.Count(t, Address, "INBOX"), e.Dovecot.Count(t, Address, "Processed"),
			e.Dovecot.Count(t, Address, "Failed"), e.Postfix.QueueLen())
	}
	WaitFor(t, limit, "every report taken in and moved to Processed", func() bool {
		return e.Dovecot.Count(t, Address, "INBOX") == 0 && e.Dovecot.Count(t, Address, "Processed") >= n
	}, boxes)
	WaitFor(t, limit, "an acknowledgement in the hospitals' mailboxes for every report", func() bool {
		got := 0
		for _, h := range hospitals {
			got += e.Dovecot.Count(t, h, "INBOX")
		}
		return got >= n && e.Postfix.QueueLen() == 0
	}, boxes)
	var outbox []store.OutboxMail
	WaitFor(t, 20*time.Second, "every acknowledgement recorded as sent", func() bool {
		outbox = e.Outbox()
		return !slices.ContainsFunc(outbox, func(m store.OutboxMail) bool { return m.State != store.OutboxSent })
	})
	return outbox
}
