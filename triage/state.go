package triage

import (
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// The commands that end or resume a ticket: #close, #reject, #reopen.

// close closes the ticket, with the reason given, if any.
func (r *cmdRun) close(c parser.Command) (string, error) {
	return r.end(c, store.StateClosed, "closed")
}

// reject closes the ticket as a false positive. A reply to a rejected
// ticket opens a new one (see README.md): the rejection is a verdict.
func (r *cmdRun) reject(c parser.Command) (string, error) {
	return r.end(c, store.StateRejected, "rejected as a false positive")
}

func (r *cmdRun) end(c parser.Command, state store.State, what string) (string, error) {
	if !r.t.State.Open() {
		return "", bad("#%d is %s already", r.n, r.t.State)
	}
	reason := strings.Join(c.Args, " ")
	detail := what + " by " + r.in.actor()
	if reason != "" {
		detail += ": " + reason
	}
	if err := r.in.tx.SetState(r.in.ctx, r.n, state, r.event(detail)); err != nil {
		return "", err
	}
	if reason != "" {
		return what + ": " + reason, nil
	}
	return what, nil
}

// reopen takes a closed or rejected ticket back into work. (A merged
// ticket is never reopened: mail to it lands on its merge target.)
func (r *cmdRun) reopen(c parser.Command) (string, error) {
	if err := noArgs(c); err != nil {
		return "", err
	}
	if r.t.State.Open() {
		return "", bad("#%d is not closed (it is %s)", r.n, r.t.State)
	}
	if err := r.in.tx.SetState(r.in.ctx, r.n, store.StateTriaged, r.event("reopened by "+r.in.actor())); err != nil {
		return "", err
	}
	return "reopened, " + string(store.StateTriaged), nil
}
