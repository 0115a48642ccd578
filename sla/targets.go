package sla

import (
	"fmt"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// Target is how soon a ticket of one severity gets its first response
// and how soon it is resolved (closed), counted from its opening; the
// resolve clock stands still while the ticket waits.
type Target struct {
	Response time.Duration
	Resolve  time.Duration
}

// Targets are the targets by severity.
type Targets map[string]Target

// Severities are the severities a target is set for, the most urgent first.
var Severities = []string{"critical", "high", "medium", "low"}

// DefaultSeverity is a ticket's severity until a triager sets one.
const DefaultSeverity = "medium"

// DefaultTargets are RT-like service levels for a team of volunteers.
func DefaultTargets() Targets {
	return Targets{
		"critical": {15 * time.Minute, 4 * time.Hour},
		"high":     {time.Hour, 24 * time.Hour},
		"medium":   {4 * time.Hour, 3 * 24 * time.Hour},
		"low":      {24 * time.Hour, 7 * 24 * time.Hour},
	}
}

// For returns the target of severity, the default severity's when it is
// unset or unknown.
func (ts Targets) For(severity string) (string, Target) {
	if t, ok := ts[severity]; ok {
		return severity, t
	}
	return DefaultSeverity, ts[DefaultSeverity]
}

// Clock is where a ticket stands against its targets at one moment.
type Clock struct {
	Severity string
	Target   Target
	// Responded says that a triager has acted on the ticket.
	Responded bool
	// ResponseDue is when the first response is due.
	ResponseDue time.Time
	// Active is how long the resolve clock has run: the ticket's age but
	// for its waits.
	Active time.Duration
	// ResolveDue is when the ticket should be resolved, were the clock to
	// run on from now.
	ResolveDue time.Time
	Waiting    bool
	// Overdue says that an open ticket not waiting missed a target.
	Overdue bool
}

// Due is the next target the ticket must meet.
func (c Clock) Due() time.Time {
	if !c.Responded {
		return c.ResponseDue
	}
	return c.ResolveDue
}

// Clock returns where ticket t stands at now.
func (ts Targets) Clock(t store.SLATicket, now time.Time) Clock {
	c := Clock{Responded: !t.FirstResponse.IsZero(), Waiting: t.Wait.Waiting()}
	c.Severity, c.Target = ts.For(t.Severity)
	c.ResponseDue = t.CreatedAt.Add(c.Target.Response)
	end := now
	if !t.State.Open() && !t.ClosedAt.IsZero() {
		end, c.Waiting = t.ClosedAt, false
	}
	paused := t.Wait.Paused
	if c.Waiting {
		paused += max(end.Sub(t.Wait.Since), 0)
	}
	c.Active = max(end.Sub(t.CreatedAt)-paused, 0)
	c.ResolveDue = end.Add(c.Target.Resolve - c.Active)
	if t.State.Open() && !c.Waiting {
		c.Overdue = (!c.Responded && !now.Before(c.ResponseDue)) || c.Active >= c.Target.Resolve
	}
	return c
}

// Check says what is wrong with targets, naming the severity.
func (ts Targets) Check() error {
	for sev, t := range ts {
		known := false
		for _, s := range Severities {
			known = known || s == sev
		}
		if !known {
			return fmt.Errorf("%q is not a severity: use critical, high, medium or low", sev)
		}
		if t.Response <= 0 || t.Resolve <= 0 {
			return fmt.Errorf("%s: the response and resolve targets must both be set and above zero", sev)
		}
		if t.Resolve < t.Response {
			return fmt.Errorf("%s: the resolve target %v is shorter than the response target %v", sev, t.Resolve, t.Response)
		}
	}
	return nil
}

// Short writes a duration as a person says it: 45m, 1h, 2h30m, 3d.
func Short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
