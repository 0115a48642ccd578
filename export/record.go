package export

import (
	"fmt"
	"time"
)

// Indicator is one indicator of compromise. Type is one of url, domain,
// ipv4, ipv6, email, md5, sha1, sha256, cve; Value is normalised as the
// parser leaves it.
type Indicator struct {
	Type  string
	Value string
	// FirstSeen and LastSeen are when it was first and last reported.
	FirstSeen time.Time
	LastSeen  time.Time
	// Tickets are the tickets it was seen on. Filter sets it to the
	// exported ones.
	Tickets []int64
	// TLP is how it may be shared. Filter sets it to the strictest TLP
	// of the tickets it was seen on (and of this value, if set).
	TLP string
	// Verified is set when a triager confirmed the indicator (#verify).
	Verified bool
}

// Ticket is one report, as much of it as may be published.
type Ticket struct {
	Number   int64
	Created  time.Time
	Updated  time.Time
	Severity string // low, medium, high, critical or empty
	TLP      string // clear, green, amber, amber+strict, red
	State    string // new, triaged, escalated, closed, rejected
	// Indicators are those seen on the ticket.
	Indicators []Indicator
}

// Options say what to export and on whose behalf.
type Options struct {
	// League names the league's identity in the feeds (and seeds every
	// id: renaming the league renames everything); DefaultLeague if
	// empty.
	League string
	// Since keeps only tickets updated, or with an indicator seen, at or
	// after it; zero keeps all.
	Since time.Time
	// TLPMax is the strictest TLP exported: "green" if empty, so that
	// amber and red never leave unless asked for.
	TLPMax string
	// All exports unverified indicators and rejected tickets too.
	All bool
	// Now stands in for the clock where a record lacks a time; time.Now
	// if nil.
	Now func() time.Time
}

// DefaultLeague is the league's name when Options.League is empty.
const DefaultLeague = "Hospital League"

func (o Options) league() string {
	if o.League == "" {
		return DefaultLeague
	}
	return o.League
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

func (o Options) tlpMax() (TLP, error) {
	if o.TLPMax == "" {
		return Green, nil
	}
	l, err := ParseTLP(o.TLPMax)
	if err != nil {
		return 0, fmt.Errorf("tlp-max: %w", err)
	}
	return l, nil
}
