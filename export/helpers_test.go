package export

import (
	"time"
)

var (
	t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	t1 = t0.Add(26 * time.Hour)
	t2 = t0.Add(30 * 24 * time.Hour)
)

// Values that may leave only when asked for, and why.
const (
	amberOnly  = "amber-only.example" // on an amber ticket
	shared     = "shared.example"     // on a green and an amber ticket
	redOnly    = "red-only.example"   // on a red ticket
	strict     = "strict.example"     // on an amber+strict ticket
	unverified = "unverified.example" // not verified
	rejected   = "rejected.example"   // on a rejected (false positive) ticket
	noTLP      = "no-tlp.example"     // on a ticket without a TLP: read as red
)

// hostileURL holds a quote and a backslash, which must not end or break
// a STIX string literal.
const hostileURL = `http://bad.example/login?next='x'&q=a\b`

func v(typ, value string, first, last time.Time) Indicator {
	return Indicator{Type: typ, Value: value, FirstSeen: first, LastSeen: last, Verified: true}
}

// sample is a league's tickets: one of every indicator type on a green
// ticket, and the cases that must not leak by default.
func sample() []Ticket {
	return []Ticket{
		{Number: 1, Created: t0, Updated: t0, Severity: "high", TLP: "green", State: "escalated", Indicators: []Indicator{
			v("url", hostileURL, t0, t0),
			v("domain", "bad.example", t0, t1),
			v("ipv4", "203.0.113.7", t0, t0),
			v("ipv6", "2001:db8::7", t0, t0),
			v("email", "billing@bad.example", t0, t0),
			v("md5", "d41d8cd98f00b204e9800998ecf8427e", t0, t0),
			v("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", t0, t0),
			v("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", t0, t0),
			v("cve", "CVE-2024-3094", t0, t0),
			{Type: "domain", Value: unverified, FirstSeen: t0, LastSeen: t0},
		}},
		{Number: 2, Created: t0, Updated: t0, Severity: "medium", TLP: "amber", State: "triaged", Indicators: []Indicator{
			v("domain", amberOnly, t0, t0),
			v("domain", shared, t0, t0),
		}},
		{Number: 3, Created: t1, Updated: t2, Severity: "low", TLP: "clear", State: "closed", Indicators: []Indicator{
			v("domain", shared, t1, t1),
			v("domain", "green3.example", t1, t2),
			v("domain", "bad.example", t1, t1),
		}},
		{Number: 4, Created: t0, Updated: t0, TLP: "red", State: "new", Indicators: []Indicator{v("domain", redOnly, t0, t0)}},
		{Number: 5, Created: t0, Updated: t0, TLP: "clear", State: "rejected", Indicators: []Indicator{v("domain", rejected, t0, t0)}},
		{Number: 6, Created: t0, Updated: t0, TLP: "amber+strict", State: "new", Indicators: []Indicator{v("domain", strict, t0, t0)}},
		{Number: 7, Created: t0, Updated: t0, State: "new", Indicators: []Indicator{v("domain", noTLP, t0, t0)}},
	}
}

func fixedNow() time.Time { return t2.Add(time.Hour) }
