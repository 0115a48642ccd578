package sla

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A shift is when a triager is on call, in the triager's time zone:
//
//	Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC
//
// Each part is days (Mon, Mon-Fri, Fri-Mon, Mon,Wed,Fri, daily), a time
// range in the zone's wall-clock time, and an IANA zone (UTC when left
// out). A range that ends before it starts runs over midnight
// (22:00-06:00 is the night after each day named); 24:00 ends at
// midnight. Wall-clock times follow daylight saving time: a night shift
// over the change is an hour shorter or longer.

// Shift is a parsed on-call shift.
type Shift struct {
	text  string
	parts []shiftPart
}

type shiftPart struct {
	days       [7]bool // by time.Weekday
	start, end int     // minutes since midnight
	loc        *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseShift reads a shift.
func ParseShift(s string) (*Shift, error) {
	sh := &Shift{text: strings.TrimSpace(s)}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := parsePart(part)
		if err != nil {
			return nil, fmt.Errorf("shift %q: %w", part, err)
		}
		sh.parts = append(sh.parts, p)
	}
	if len(sh.parts) == 0 {
		return nil, fmt.Errorf("shift %q: empty; write it like \"Mon-Fri 08:00-16:00 Europe/Paris\"", s)
	}
	return sh, nil
}

func parsePart(s string) (shiftPart, error) {
	f := strings.Fields(s)
	if len(f) < 2 || len(f) > 3 {
		return shiftPart{}, fmt.Errorf("want days, hours and a time zone, like \"Mon-Fri 08:00-16:00 Europe/Paris\"")
	}
	var p shiftPart
	if err := p.parseDays(f[0]); err != nil {
		return p, err
	}
	from, to, ok := strings.Cut(f[1], "-")
	if !ok {
		return p, fmt.Errorf("%q: want hours like 08:00-16:00", f[1])
	}
	var err error
	if p.start, err = clock(from, false); err != nil {
		return p, err
	}
	if p.end, err = clock(to, true); err != nil {
		return p, err
	}
	if p.start == p.end {
		return p, fmt.Errorf("%q: the shift starts when it ends", f[1])
	}
	p.loc = time.UTC
	if len(f) == 3 {
		if p.loc, err = time.LoadLocation(f[2]); err != nil || f[2] == "Local" || f[2] == "" {
			return p, fmt.Errorf("%q is not a time zone: use an IANA name like Europe/Paris or UTC", f[2])
		}
	}
	return p, nil
}

func (p *shiftPart) parseDays(s string) error {
	if l := strings.ToLower(s); l == "daily" || l == "*" {
		for i := range p.days {
			p.days[i] = true
		}
		return nil
	}
	for _, item := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(item, "-")
		da, ok := dayNames[strings.ToLower(a)]
		if !ok {
			return fmt.Errorf("%q is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or daily", a)
		}
		db := da
		if isRange {
			if db, ok = dayNames[strings.ToLower(b)]; !ok {
				return fmt.Errorf("%q is not a day: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range like Mon-Fri, or daily", b)
			}
		}
		for d := da; ; d = (d + 1) % 7 {
			p.days[d] = true
			if d == db {
				break
			}
		}
	}
	return nil
}

// clock reads "08:00" as minutes since midnight; "24:00" only as an end.
func clock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("%q is not a time of day like 08:00", s)
	}
	return hh*60 + mm, nil
}

// String returns the shift as written.
func (s *Shift) String() string { return s.text }

// Location is the time zone of the shift's first part: a triager's digest
// comes at [sla] digest_at there.
func (s *Shift) Location() *time.Location { return s.parts[0].loc }

// On reports whether t falls in the shift.
func (s *Shift) On(t time.Time) bool {
	for _, p := range s.parts {
		if p.on(t) {
			return true
		}
	}
	return false
}

func (p shiftPart) on(t time.Time) bool {
	lt := t.In(p.loc)
	// The shift that covers t started on t's day or, over midnight, the
	// day before.
	for back := 0; back <= 1; back++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()-back, 0, 0, 0, 0, p.loc)
		if !p.days[day.Weekday()] {
			continue
		}
		start := wall(day, p.start, p.loc)
		endDay := day
		if p.end <= p.start {
			endDay = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, p.loc)
		}
		end := wall(endDay, p.end, p.loc)
		if !t.Before(start) && t.Before(end) {
			return true
		}
	}
	return false
}

// wall is the instant of minutes past midnight of day in loc. A wall time
// that does not exist (skipped by a daylight saving change) is read as Go
// does: in the offset before the change, an hour later in wall-clock time.
func wall(day time.Time, minutes int, loc *time.Location) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), minutes/60, minutes%60, 0, 0, loc)
}

// Rota says who is on call: each triager's shift, from the contacts file
// or [sla] oncall. A triager without one is never on call, but is
// reminded when no one is.
type Rota map[string]*Shift

// OnCall returns those of triagers on shift at t, or every triager when
// no one is.
func (r Rota) OnCall(triagers []string, t time.Time) []string {
	var on []string
	for _, tr := range triagers {
		if s := r[strings.ToLower(tr)]; s != nil && s.On(t) {
			on = append(on, tr)
		}
	}
	if len(on) == 0 {
		return triagers
	}
	return on
}

// Location is where triager's day is counted: the zone of their shift, or
// UTC.
func (r Rota) Location(triager string) *time.Location {
	if s := r[strings.ToLower(triager)]; s != nil {
		return s.Location()
	}
	return time.UTC
}
