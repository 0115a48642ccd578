package config

import (
	"net/mail"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SLA sets the response targets, the on-call rota, the reminders and
// the daily digests (package sla).
type SLA struct {
	// Targets are the first-response and resolve targets by severity;
	// a severity or a value left out keeps its default (critical 15m/4h,
	// high 1h/1d, medium 4h/3d, low 1d/7d).
	Targets map[string]SLATarget `toml:"targets"`
	// OnCall are the shifts of triagers by address, in place of the
	// contacts file's shift column: "Mon-Fri 08:00-16:00 Europe/Paris".
	OnCall map[string]string `toml:"oncall"`
	// EscalateTo are told as well when a ticket reaches twice a target.
	EscalateTo []string `toml:"escalate_to"`
	// DigestAt is the time of the daily digest in each triager's time
	// zone, "08:00" by default; "off" sends none.
	DigestAt string `toml:"digest_at"`
	// Interval is how often the targets are checked (1m).
	Interval Duration `toml:"interval"`
}

// SLATarget is one severity's targets.
type SLATarget struct {
	Response Duration `toml:"response"`
	Resolve  Duration `toml:"resolve"`
}

var slaSeverities = []string{"critical", "high", "medium", "low"}

// DigestTime returns [sla] digest_at as a time of day, or a negative
// duration for "off".
func (s SLA) DigestTime() time.Duration {
	d, _ := digestTime(s.DigestAt)
	return d
}

func digestTime(s string) (time.Duration, bool) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return 8 * time.Hour, true
	case "off":
		return -1, true
	}
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
}

// checkSLA checks the shape of [sla]; the shifts are read by package sla
// when the gateway is built.
func (c *Config) checkSLA() error {
	s := c.SLA
	sevs := make([]string, 0, len(s.Targets))
	for sev := range s.Targets {
		sevs = append(sevs, sev)
	}
	sort.Strings(sevs)
	for _, sev := range sevs {
		key := "sla.targets." + sev
		if !slices.Contains(slaSeverities, sev) {
			return c.Errorf(key, "%q is not a severity: use critical, high, medium or low", sev)
		}
		t := s.Targets[sev]
		if lo, hi := t.Response.Duration, t.Resolve.Duration; lo > 0 && hi > 0 && hi < lo {
			return c.Errorf(key, "the resolve target %v is shorter than the response target %v", hi, lo)
		}
	}
	for who := range s.OnCall {
		if p, err := mail.ParseAddress(who); err != nil || p.Address != who {
			return c.Errorf("sla.oncall."+who, "%q is not a bare mail address: write \"alex@volunteers.example\" = \"Mon-Fri 08:00-16:00 Europe/Paris\"", who)
		}
	}
	for _, a := range s.EscalateTo {
		if p, err := mail.ParseAddress(a); err != nil || p.Address != a {
			return c.Errorf("sla.escalate_to", "%q is not a bare mail address", a)
		}
	}
	if _, ok := digestTime(s.DigestAt); !ok {
		return c.Errorf("sla.digest_at", "%q: want a time of day like 08:00, or off", s.DigestAt)
	}
	return nil
}
