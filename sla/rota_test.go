package sla

import (
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestShiftOn(t *testing.T) {
	tests := []struct {
		shift string
		at    string // UTC
		on    bool
	}{
		// Summer: Paris is UTC+2.
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-06-01 06:00", true},
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-06-01 05:59", false},
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-06-01 13:59", true},
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-06-01 14:00", false}, // the end is out
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-06-06 08:00", false}, // Saturday
		// Winter: UTC+1.
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-01-05 07:00", true},
		{"Mon-Fri 08:00-16:00 Europe/Paris", "2026-01-05 06:59", false},
		// The second part of a shift.
		{"Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC", "2026-06-06 10:00", true},
		{"Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC", "2026-06-06 14:00", false},
		// A night over the autumn change (25 Oct 2026, 03:00 CEST ->
		// 02:00 CET): 22:00 CEST = 20:00 UTC to 06:00 CET = 05:00 UTC,
		// nine hours.
		{"Sat 22:00-06:00 Europe/Paris", "2026-10-24 19:59", false},
		{"Sat 22:00-06:00 Europe/Paris", "2026-10-24 20:00", true},
		{"Sat 22:00-06:00 Europe/Paris", "2026-10-25 00:30", true}, // 02:30 CEST, the first one
		{"Sat 22:00-06:00 Europe/Paris", "2026-10-25 01:30", true}, // 02:30 CET, the second
		{"Sat 22:00-06:00 Europe/Paris", "2026-10-25 04:59", true},
		{"Sat 22:00-06:00 Europe/Paris", "2026-10-25 05:00", false},
		// A night over the spring change (29 Mar 2026, 02:00 CET ->
		// 03:00 CEST): 22:00 CET = 21:00 UTC to 06:00 CEST = 04:00 UTC,
		// seven hours.
		{"Sat 22:00-06:00 Europe/Paris", "2026-03-28 20:59", false},
		{"Sat 22:00-06:00 Europe/Paris", "2026-03-28 21:00", true},
		{"Sat 22:00-06:00 Europe/Paris", "2026-03-29 03:59", true},
		{"Sat 22:00-06:00 Europe/Paris", "2026-03-29 04:00", false},
		// A start the spring change skips (02:30 does not exist that
		// night) is read an hour later in wall-clock time, 03:30 CEST.
		{"Sun 02:30-04:00 Europe/Paris", "2026-03-29 01:29", false},
		{"Sun 02:30-04:00 Europe/Paris", "2026-03-29 01:30", true},
		{"Sun 02:30-04:00 Europe/Paris", "2026-03-29 01:59", true},
		{"Sun 02:30-04:00 Europe/Paris", "2026-03-29 02:00", false},
		// New York changes on other days (8 Mar 2026): 09:00 EDT = 13:00 UTC.
		{"Mon 09:00-17:00 America/New_York", "2026-03-09 13:00", true},
		{"Mon 09:00-17:00 America/New_York", "2026-03-09 12:59", false},
		{"Mon 09:00-17:00 America/New_York", "2026-03-02 14:00", true}, // EST
		{"Mon 09:00-17:00 America/New_York", "2026-03-02 13:59", false},
		// Over the end of the week.
		{"Fri-Mon 20:00-08:00 UTC", "2026-06-02 07:59", true}, // Tuesday morning, Monday's night
		{"Fri-Mon 20:00-08:00 UTC", "2026-06-02 08:00", false},
		{"Fri-Mon 20:00-08:00 UTC", "2026-06-03 07:00", false}, // Wednesday
		{"Fri-Mon 20:00-08:00 UTC", "2026-06-04 20:00", false}, // Thursday
		{"Fri-Mon 20:00-08:00 UTC", "2026-06-05 20:00", true},  // Friday
		{"Mon,Wed 10:00-11:00", "2026-06-03 10:30", true},
		{"Mon,Wed 10:00-11:00", "2026-06-02 10:30", false},
		{"Sun 20:00-24:00 UTC", "2026-06-07 23:59", true},
		{"Sun 20:00-24:00 UTC", "2026-06-08 00:00", false},
		{"daily 00:00-24:00 Asia/Kolkata", "2026-06-08 00:00", true},
		// Kolkata is UTC+5:30: 09:00 IST is 03:30 UTC.
		{"daily 09:00-10:00 Asia/Kolkata", "2026-06-08 03:29", false},
		{"daily 09:00-10:00 Asia/Kolkata", "2026-06-08 03:30", true},
	}
	for _, tt := range tests {
		s, err := ParseShift(tt.shift)
		if err != nil {
			t.Fatalf("ParseShift(%q): %v", tt.shift, err)
		}
		if got := s.On(utc(tt.at)); got != tt.on {
			t.Errorf("%q at %s UTC: on = %v, want %v", tt.shift, tt.at, got, tt.on)
		}
	}
}

func TestParseShiftErrors(t *testing.T) {
	for _, tt := range []struct{ shift, want string }{
		{"", "empty"},
		{" ; ", "empty"},
		{"Mon-Fri 8-16 Europe/Paris", "not a time of day"},
		{"Funday 08:00-16:00", `"Funday" is not a day`},
		{"Mon-Funday 08:00-16:00", `"Funday" is not a day`},
		{"Mon 08:00-16:00 Mars/Olympus_Mons", "not a time zone"},
		{"Mon 08:00-16:00 Local", "not a time zone"},
		{"Mon 10:00-10:00 UTC", "starts when it ends"},
		{"Mon 24:00-02:00 UTC", "not a time of day"},
		{"Mon 08:60-09:00 UTC", "not a time of day"},
		{"Mon 0800-1600 UTC", "not a time of day"},
		{"Mon 08:00 UTC", "want hours like"},
		{"Mon", "want days, hours"},
		{"Mon 08:00-16:00 UTC extra", "want days, hours"},
	} {
		_, err := ParseShift(tt.shift)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseShift(%q) = %v, want an error saying %q", tt.shift, err, tt.want)
		}
	}
}

func TestRotaOnCall(t *testing.T) {
	paris, _ := ParseShift("Mon-Fri 08:00-16:00 Europe/Paris")
	night, _ := ParseShift("Mon-Sun 16:00-08:00 Europe/Paris")
	r := Rota{"alex@v.example": paris, "sam@v.example": night}
	all := []string{"alex@v.example", "kim@v.example", "sam@v.example"}
	if got := r.OnCall(all, utc("2026-06-01 07:00")); len(got) != 1 || got[0] != "alex@v.example" {
		t.Errorf("Monday 09:00 Paris: on call %v, want alex", got)
	}
	if got := r.OnCall(all, utc("2026-06-01 14:00")); len(got) != 1 || got[0] != "sam@v.example" {
		t.Errorf("Monday 16:00 Paris: on call %v, want sam (alex's shift has just ended)", got)
	}
	if got := r.OnCall(all[:2], utc("2026-06-01 20:00")); len(got) != 2 {
		t.Errorf("no one on shift: %v, want every triager", got)
	}
	if loc := r.Location("ALEX@v.example"); loc.String() != "Europe/Paris" {
		t.Errorf("location = %v", loc)
	}
	if loc := r.Location("kim@v.example"); loc != time.UTC {
		t.Errorf("location without a shift = %v, want UTC", loc)
	}
}

// FuzzParseShift: a shift from a contacts file or the config never
// panics the parser or the check of a moment against it.
func FuzzParseShift(f *testing.F) {
	for _, s := range []string{"Mon-Fri 08:00-16:00 Europe/Paris; Sat 10:00-14:00 UTC", "daily 22:00-06:00",
		"Fri-Mon 20:00-24:00 America/New_York", "Mon,Wed 00:00-00:01 Asia/Kolkata", ";;", "Sun-Sun 23:59-00:00 UTC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShift(s)
		if err != nil {
			return
		}
		for _, at := range []time.Time{utc("2026-03-29 01:30"), utc("2026-10-25 00:30"), utc("2026-06-01 12:00")} {
			sh.On(at)
		}
		_ = sh.Location()
	})
}
