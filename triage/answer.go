package triage

import (
	"fmt"
	"strings"
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
// that ticket n was escalated or alerted to: the very address we wrote
// to, or another address at that contact's domain (a CERT's ticket system
// answers from its own address).
func (in *intake) answerer(n int64) (*answerer, error) {
	if in.from == "" {
		return nil, nil
	}
	role, err := in.tx.ParticipantRole(in.ctx, n, in.from)
	if err != nil {
		return nil, err
	}
	if role == "cert" || role == "institution" || role == "abuse" || role == "le" {
		cs, err := in.tx.ContactsByEmail(in.ctx, in.from)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Kind == role {
				return &answerer{name: contactName(c), role: role}, nil
			}
		}
		return &answerer{name: in.from, role: role}, nil
	}
	if role != "" {
		return nil, nil // a reporter, a triager...
	}
	_, domain, _ := strings.Cut(in.from, "@")
	for _, kind := range []string{"cert", "institution"} {
		cs, err := in.tx.Contacts(in.ctx, kind)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if c.Domain == "" || (domain != c.Domain && !strings.HasSuffix(domain, "."+c.Domain)) {
				continue
			}
			r, err := in.tx.ParticipantRole(in.ctx, n, c.Email)
			if err != nil {
				return nil, err
			}
			if r == kind {
				return &answerer{name: fmt.Sprintf("%s (from %s)", contactName(c), in.from), role: kind}, nil
			}
		}
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
