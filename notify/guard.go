package notify

import (
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// refusedLocals are local parts never written to: the addresses of mail
// systems themselves (RFC 5321 section 4.5.5; RFC 3834 section 2), where an
// answer is backscatter at best and a loop at worst.
var refusedLocals = map[string]bool{
	"mailer-daemon": true, "postmaster": true, "null": true, "nobody": true,
}

// refuse is the last check before sending (DESIGN.md invariant 3, which
// triage enforces when it queues): it returns why m must not be sent, or
// "". Never to a null or unreadable address, never to a mail system,
// never to one of our own domains.
func (s *Sender) refuse(m store.OutboxMail) string {
	if len(m.Recipients) == 0 {
		return "no recipient"
	}
	for _, r := range m.Recipients {
		a, err := address(r)
		if err != nil {
			return err.Error()
		}
		local, domain, _ := strings.Cut(strings.ToLower(a), "@")
		base, _, _ := strings.Cut(local, "+")
		if refusedLocals[base] {
			return "recipient " + a + " is a mail system's address"
		}
		for _, d := range s.domains {
			if domain == d || strings.HasSuffix(domain, "."+d) {
				return "recipient " + a + " is at our own domain " + d
			}
		}
	}
	return ""
}
