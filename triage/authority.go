package triage

import (
	"fmt"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/mailauth"
)

// DESIGN.md invariant 4: a command runs only when its sender is a triager
// and the mail is authenticated, by our own MTA's verdict or by a reply
// token; invariant 7: that authority is checked against the ticket each
// command acts on, not only the one the mail threads to.

// authority says whether the mail may run commands on ticket n, how it was
// authenticated ("dkim", "spf" or "token", with detail), or why it may not.
//
// A reply token is a bearer secret, and a secret that leaks when a mail is
// forwarded: it authenticates only its own ticket (or one it was merged
// into), only until TokenTTL after that ticket closed, and never a mail
// whose From domain our MTA says failed authentication.
func (in *intake) authority(n int64) (ok bool, how string, err error) {
	triager, err := in.isTriager()
	if err != nil {
		return false, "", err
	}
	if !triager {
		return false, in.actor() + " is not a triager", nil
	}
	if p := in.msg.FromProblem; p != "" {
		return false, p + ": whose mail it is cannot be told", nil
	}
	// A signature by the triager's bound key does not depend on the path
	// the mail took: it stands even where our MTA's verdict failed.
	if ok, how, err := in.signedBy(); ok || err != nil {
		return ok, how + " (the strongest of the three ways)", err
	}
	if in.auth.Verdict == mailauth.Pass {
		return true, in.auth.How, nil
	}
	why := in.auth.How
	if in.auth.Verdict == mailauth.Fail {
		return false, why + "; a reply token does not stand for a sender whose domain failed authentication", nil
	}
	for _, tok := range in.msg.Tokens {
		tn, ok := in.g.tokens.Verify(tok, in.from)
		if !ok {
			continue
		}
		// A token of a ticket merged into n stands for n: the merged
		// ticket's conversation is n's now.
		target, err := in.resolve(tn)
		if err != nil {
			return false, "", err
		}
		t, err := in.ticket(target)
		if err != nil {
			return false, "", err
		}
		if t != nil && !t.State.Open() && !t.ClosedAt.IsZero() {
			if until := t.ClosedAt.Add(in.g.cfg.TokenTTL); in.now.After(until) {
				why += fmt.Sprintf("; the reply token of #%d expired on %s, %s after the ticket was closed",
					tn, until.UTC().Format(time.DateOnly), days(in.g.cfg.TokenTTL))
				continue
			}
		}
		if target != n {
			why += fmt.Sprintf("; the reply token is for #%d, not #%d", tn, n)
			continue
		}
		return true, fmt.Sprintf("reply token of #%d issued to %s", tn, in.from), nil
	}
	return false, why + fmt.Sprintf("; no reply token of #%d issued to %s", n, in.from), nil
}

// envelopeNote names the envelope sender when it is not the From: a
// confirmation says so, since a stolen token travels with a forged From.
func (in *intake) envelopeNote() string {
	env := in.otherEnvelope()
	if env == "" {
		return ""
	}
	return fmt.Sprintf("; the envelope sender (Return-Path) was %s, not the From %s", env, in.from)
}

// otherEnvelope returns the envelope sender (Return-Path) when it is not
// the From, "" otherwise.
func (in *intake) otherEnvelope() string {
	rp := in.msg.Header["Return-Path"]
	if len(rp) == 0 {
		return ""
	}
	env := strings.ToLower(strings.Trim(strings.TrimSpace(rp[0]), "<>"))
	if env == "" || env == in.from {
		return ""
	}
	return env
}
