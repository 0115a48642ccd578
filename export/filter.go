package export

import (
	"cmp"
	"slices"
	"time"
)

// Types are the indicator types the feeds know, as the parser names them.
var Types = []string{"url", "domain", "ipv4", "ipv6", "email", "md5", "sha1", "sha256", "cve"}

type key struct{ typ, value string }

// seen is what all the tickets say of one indicator.
type seen struct {
	// strictest is the strictest TLP of every ticket that saw it; vouched
	// the least strict among the tickets, not rejected, whose triager
	// verified it there, and verified says that there is one.
	strictest, vouched TLP
	verified           bool
	first, last        time.Time
}

// tlp is the TLP the indicator leaves under.
func (s *seen) tlp(all bool) TLP {
	if all || !s.verified {
		return s.strictest
	}
	return s.vouched
}

// Filter returns the part of ts that may leave under o, in ticket number
// order, each ticket's indicators in type and value order. Every writer
// calls it, so that the rules live here only:
//
//   - unless o.All, only indicators verified by a triager, each on the
//     tickets that verified it, none from a rejected ticket (a false
//     positive);
//   - a verified indicator's TLP is the least strict among the tickets
//     that verified it (DESIGN.md invariant 7: a mere report, under a
//     stricter TLP, must not keep the league's verified word out of a
//     green feed); with o.All, where unverified indicators leave too,
//     it is the strictest of every ticket it was seen on, among all of ts
//     (pass every ticket, not only those to export);
//   - nothing stricter than o.TLPMax leaves, neither ticket nor indicator;
//   - with o.Since, only tickets updated or with an indicator seen since;
//   - a ticket left without indicators is dropped, and an indicator lists
//     only the exported tickets it was seen on.
//
// Indicators of a type the feeds cannot express are dropped. Times are
// merged over all tickets.
func Filter(ts []Ticket, o Options) ([]Ticket, error) {
	limit, err := o.tlpMax()
	if err != nil {
		return nil, err
	}
	all := make(map[key]*seen)
	for _, t := range ts {
		tt := tlpOf(t.TLP)
		for _, in := range t.Indicators {
			k := key{in.Type, in.Value}
			s := all[k]
			if s == nil {
				s = &seen{strictest: Clear, vouched: Red}
				all[k] = s
			}
			it := tt
			if in.TLP != "" {
				it = max(it, tlpOf(in.TLP))
			}
			s.strictest = max(s.strictest, it)
			if in.Verified && t.State != "rejected" {
				s.verified = true
				s.vouched = min(s.vouched, it)
			}
			s.first = earliest(s.first, in.FirstSeen)
			s.last = latest(s.last, in.LastSeen)
		}
	}
	var out []Ticket
	for _, t := range ts {
		tt := tlpOf(t.TLP)
		if tt > limit || (!o.All && t.State == "rejected") {
			continue
		}
		keep := t
		keep.TLP = tt.String()
		keep.Indicators = nil
		recent := !t.Updated.Before(o.Since)
		done := make(map[key]bool)
		for _, in := range t.Indicators {
			k := key{in.Type, in.Value}
			s := all[k]
			if done[k] || !slices.Contains(Types, in.Type) || s.tlp(o.All) > limit || (!o.All && !in.Verified) {
				continue
			}
			done[k] = true
			recent = recent || !s.last.Before(o.Since)
			keep.Indicators = append(keep.Indicators, Indicator{Type: in.Type, Value: in.Value,
				FirstSeen: s.first, LastSeen: s.last, TLP: s.tlp(o.All).String(), Verified: s.verified})
		}
		if len(keep.Indicators) == 0 || !recent {
			continue
		}
		slices.SortFunc(keep.Indicators, compareIndicators)
		out = append(out, keep)
	}
	slices.SortStableFunc(out, func(a, b Ticket) int { return cmp.Compare(a.Number, b.Number) })
	on := make(map[key][]int64)
	for _, t := range out {
		for _, in := range t.Indicators {
			k := key{in.Type, in.Value}
			on[k] = append(on[k], t.Number)
		}
	}
	for i := range out {
		for j := range out[i].Indicators {
			in := &out[i].Indicators[j]
			in.Tickets = slices.Compact(slices.Clone(on[key{in.Type, in.Value}]))
		}
	}
	return out, nil
}

// indicators returns the distinct indicators of filtered tickets, in type
// and value order.
func indicators(ts []Ticket) []Indicator {
	var out []Indicator
	done := make(map[key]bool)
	for _, t := range ts {
		for _, in := range t.Indicators {
			if k := (key{in.Type, in.Value}); !done[k] {
				done[k] = true
				out = append(out, in)
			}
		}
	}
	slices.SortFunc(out, compareIndicators)
	return out
}

// marking is how strictly a filtered ticket's report or event must be
// marked: as its ticket, or as the strictest indicator it holds. (The
// ticket's own TLP stays in Ticket.TLP, so that filtering again does not
// spread the raise to other tickets.)
func marking(t Ticket) TLP {
	l := tlpOf(t.TLP)
	for _, in := range t.Indicators {
		l = max(l, tlpOf(in.TLP))
	}
	return l
}

func compareIndicators(a, b Indicator) int {
	return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Value, b.Value))
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
