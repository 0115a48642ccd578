package triage

import (
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// answerer is a CERT or an institution the league wrote to about a
// ticket (an escalation, an alert), whose mail is their answer.
type answerer struct {
	name string // "CERT-XX <cert@cert.example>"
	role string // cert, institution, abuse, le
	// desk is the abuse desk's address we wrote to, when another
	// address of its domain answers (takedown.go).
	desk string
}

// answerer says whether the sender answers for a CERT or institution
// that ticket n was escalated or alerted to. A contact is matched by its
// exact address first; then by domain (a CERT's ticket system answers
// from its own address), but only when one contact has that domain:
// three institutions at one hospital group's domain are three, and a mail
// from that domain is "someone at chu-exemple.fr", not one of them.
func (in *intake) answerer(n int64) (*answerer, error) {
	if in.from == "" {
		return nil, nil
	}
	role, err := in.tx.ParticipantRole(in.ctx, n, in.from)
	if err != nil {
		return nil, err
	}
	if role != "" && role != "cert" && role != "institution" && role != "abuse" && role != "le" {
		return nil, nil // a reporter, a triager...
	}
	exact, err := in.tx.ContactsByEmail(in.ctx, in.from)
	if err != nil {
		return nil, err
	}
	if role != "" {
		for _, c := range exact {
			if c.Kind == role {
				return &answerer{name: contactName(c), role: role}, nil
			}
		}
		return &answerer{name: in.from, role: role}, nil
	}
	_, domain, _ := strings.Cut(in.from, "@")
	for _, kind := range []string{"cert", "institution"} {
		cs, err := in.tx.Contacts(in.ctx, kind)
		if err != nil {
			return nil, err
		}
		var same []store.Contact // the contacts of kind at the sender's domain
		written := false         // one of them got our mail about n
		for _, c := range cs {
			if c.Domain == "" || (domain != c.Domain && !strings.HasSuffix(domain, "."+c.Domain)) {
				continue
			}
			same = append(same, c)
			r, err := in.tx.ParticipantRole(in.ctx, n, c.Email)
			if err != nil {
				return nil, err
			}
			written = written || r == kind
		}
		if !written {
			continue
		}
		for _, c := range exact {
			if c.Kind == kind {
				// A known contact of the domain, not itself written to.
				return &answerer{name: contactName(c), role: kind}, nil
			}
		}
		if len(same) == 1 {
			return &answerer{name: fmt.Sprintf("%s (from %s)", contactName(same[0]), in.from), role: kind}, nil
		}
		return &answerer{name: fmt.Sprintf("someone at %s (%s)", domain, in.from), role: kind}, nil
	}
	return in.abuseDesk(n, domain) // takedown.go
}

// answered records a CERT's or institution's answer on ticket n and tells
// the triagers.
func (in *intake) answered(n int64, a *answerer) error {
	if err := in.tx.AddParticipant(in.ctx, n, in.from, a.role, in.now); err != nil {
		return err
	}
	what := "escalation"
	switch a.role {
	case "institution":
		what = "alert"
	case "le":
		what = "escalation to law enforcement"
	case "abuse":
		// An abuse desk answering our takedown request (takedown.go).
		what = "takedown request"
		desk := in.from
		if a.desk != "" {
			desk = a.desk
		}
		if _, err := in.tx.SetTakedownState(in.ctx, n, "", desk, "answered", in.now); err != nil {
			return err
		}
	}
	ev := in.event(n, "answer", fmt.Sprintf("%s answered the %s", a.name, what))
	ev.Data = mustJSON(map[string]any{"role": a.role, "from": in.from})
	if ok, how, err := in.signedBy(); err != nil {
		return err
	} else if ok {
		// Their key's signature authenticates the answer (DESIGN.md trust
		// model), whatever path the mail took.
		ev.Detail += " (authenticated by " + how + ")"
		ev.Data = mustJSON(map[string]any{"role": a.role, "from": in.from, "auth": how})
	}
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	result := fmt.Sprintf("%s answered the %s of %s. Their mail is on the ticket.", a.name, what, in.g.tag(n))
	return in.tellTriagers(n, "Answer to the "+what+": ", "", result, excerpt(in.msg))
}
