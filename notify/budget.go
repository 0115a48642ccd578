package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// The global budget of automatic mail (DESIGN.md invariant 7): however
// many reports come in, forged or not, the gateway sends at most
// AutoMailsPerHour automatic mails in any hour. An acknowledgement over
// the budget waits in the outbox, never dropped; triage collapses the
// triagers' notices into digests meanwhile.

// holdFor is how long an acknowledgement over the budget waits before it
// is looked at again.
const holdFor = 2 * time.Minute

// budgetLeft returns how many automatic mails may still leave in this
// hour.
func (s *Sender) budgetLeft(ctx context.Context) (int, error) {
	sent, err := s.st.CountAutomaticSent(ctx, s.now().Add(-time.Hour))
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	return s.cfg.AutoMailsPerHour - sent, nil
}

// hold puts an acknowledgement off until the budget allows it.
func (s *Sender) hold(ctx context.Context, m store.OutboxMail) {
	why := fmt.Sprintf("held: %d automatic mails sent in the last hour, the budget", s.cfg.AutoMailsPerHour)
	if err := s.st.Defer(ctx, m.ID, why, s.now().Add(holdFor)); err != nil {
		s.log.Warn("outbox: cannot hold mail", append(s.attrs(m), "error", err)...)
		return
	}
	s.m.held.WithLabelValues(m.Kind).Inc()
}
