package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestCorrelationNamesFirstCountsAll: a new ticket's correlation names
// the first MaxNamed other tickets of each indicator and counts every one,
// as the full Correlate would, and says nothing of pending sightings.
func TestCorrelationNamesFirstCountsAll(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	sight := func(typ, value string, pending bool) Sighting {
		sg := Sighting{Type: typ, Value: value, Layer: "evidence", Sources: []string{"text"}}
		if pending {
			sg.Pending, sg.From = true, "stranger@elsewhere.example"
		}
		return sg
	}
	// Tickets 1-12 carry a campaign's domain, 13-25 its URL, 26 both but
	// as pending evidence; the last, 27, carries both twice over (two
	// layers), and an IP no other ticket has.
	var tickets []int64
	for i := range 27 {
		n, m := newTicket(t, s, fmt.Sprintf("c%d", i), fmt.Sprintf("r%d@h.example", i))
		tickets = append(tickets, n)
		at := t0.Add(time.Duration(i) * time.Hour)
		var ss []Sighting
		switch {
		case i < 12:
			ss = []Sighting{sight("domain", "campaign.example", false)}
		case i < 25:
			ss = []Sighting{sight("url", "https://campaign.example/login", false)}
		case i == 25:
			ss = []Sighting{sight("domain", "campaign.example", true), sight("url", "https://campaign.example/login", true)}
		default:
			report := sight("domain", "campaign.example", false)
			report.Layer = "report"
			ss = []Sighting{sight("domain", "campaign.example", false), report,
				sight("url", "https://campaign.example/login", false), sight("ipv4", "203.0.113.77", false)}
		}
		update(t, s, func(tx *Tx) error { return tx.AddSightings(ctx, n, m, ss, at) })
	}
	last := tickets[len(tickets)-1]
	var got *MailCorrelation
	update(t, s, func(tx *Tx) error {
		var err error
		got, err = tx.Correlation(ctx, last)
		return err
	})
	full, err := s.Correlate(ctx, last)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("no correlation")
	}
	if got.Reports != 25 || !slices.Equal(got.Tickets, tickets[:MaxNamed]) || !got.FirstSeen.Equal(t0) {
		t.Errorf("correlation: %d reports, tickets %v, first %v; want 25, %v, %v", got.Reports, got.Tickets, got.FirstSeen, tickets[:MaxNamed], t0)
	}
	if len(got.Indicators) != 2 || len(full) != 2 {
		t.Fatalf("indicators %+v, full %+v", got.Indicators, full)
	}
	for i, x := range got.Indicators {
		f := full[i]
		if x.Type != f.Type || x.Value != f.Value || !x.FirstSeen.Equal(f.FirstSeen) || x.Others != len(f.Tickets) ||
			!slices.Equal(x.Tickets, f.Tickets[:MaxNamed]) {
			t.Errorf("indicator %d = %+v, full %+v", i, x, f)
		}
	}
	if got.Indicators[0].Others != 12 || got.Indicators[1].Others != 13 {
		t.Errorf("others = %d, %d; want 12, 13", got.Indicators[0].Others, got.Indicators[1].Others)
	}

	// Under the cap, everything is named and counted alike.
	n, m := newTicket(t, s, "ip", "ip@h.example")
	update(t, s, func(tx *Tx) error {
		if err := tx.AddSightings(ctx, n, m, []Sighting{sight("ipv4", "203.0.113.77", false)}, t0.Add(48*time.Hour)); err != nil {
			return err
		}
		var err error
		got, err = tx.Correlation(ctx, n)
		return err
	})
	if got == nil || got.Reports != 1 || !slices.Equal(got.Tickets, []int64{last}) || len(got.Indicators) != 1 ||
		got.Indicators[0].Others != 1 || !got.FirstSeen.Equal(t0.Add(26*time.Hour)) {
		t.Errorf("correlation of #%d = %+v", n, got)
	}
	update(t, s, func(tx *Tx) error {
		var err error
		got, err = tx.Correlation(ctx, tickets[25])
		return err
	})
	if got != nil {
		t.Errorf("pending evidence correlated: %+v", got)
	}
}
