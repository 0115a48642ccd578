package triage

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/parser"
)

// #wait [DURATION] [reason] pauses the ticket's resolve clock while the
// league waits on someone else's answer (a CERT's, the reporter's); see
// package sla. The answer of a participant who is not a triager, or the
// end of DURATION (package sla's timer), resumes it and tells the owner.

// maxWait bounds a #wait: a longer one is a ticket to close.
const maxWait = 90 * 24 * time.Hour

func (r *cmdRun) wait(c parser.Command) (string, error) {
	if !r.t.State.Open() {
		return "", bad("#%d is %s: a closed ticket waits for nothing", r.n, r.t.State)
	}
	args := c.Args
	var d time.Duration
	if len(args) > 0 {
		if v, ok := waitDuration(args[0]); ok {
			if v <= 0 || v > maxWait {
				return "", bad("#wait %s: give a duration between 1m and %d days", args[0], int(maxWait.Hours()/24))
			}
			d, args = v, args[1:]
		}
	}
	reason := strings.Join(args, " ")
	var until time.Time
	if d > 0 {
		until = r.in.now.Add(d)
	}
	if err := r.in.tx.StartWait(r.in.ctx, r.n, r.in.now, until, reason, r.in.from); err != nil {
		return "", err
	}
	res := "waiting for an answer: the resolve clock stands still until one comes"
	if d > 0 {
		res = fmt.Sprintf("waiting until %s UTC (%s) or an answer: the resolve clock stands still meanwhile",
			until.UTC().Format("2006-01-02 15:04"), days(d))
	}
	if reason != "" {
		res += "; " + reason
	}
	ev := r.event(res)
	ev.Kind = "waiting"
	if _, err := r.in.tx.AddEvent(r.in.ctx, ev); err != nil {
		return "", err
	}
	return res, nil
}

// waitDuration reads "90m", "2h", "3d" or "1w".
func waitDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil {
				return 0, false
			}
			return time.Duration(v) * unit, true
		}
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

// answerResumes ends the wait of ticket n when the mail being taken in,
// accepted on the ticket, is someone's answer: not a triager's own mail.
func (in *intake) answerResumes(n int64) error {
	if triager, err := in.isTriager(); triager || err != nil {
		return err
	}
	w, ok, err := in.tx.EndWait(in.ctx, n, in.now)
	if err != nil || !ok {
		return err
	}
	detail := fmt.Sprintf("the answer of %s ended the wait begun %s UTC: the resolve clock runs again",
		in.actor(), w.Since.UTC().Format("2006-01-02 15:04"))
	ev := in.event(n, "resumed", detail)
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	// The owner, or every triager when nobody took it, in the one update
	// this mail makes.
	in.tellOwner(update{n: n, prefix: "Answer came: ", results: lines(detail), text: excerpt(in.msg)})
	return nil
}
