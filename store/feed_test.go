package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestFeedTickets(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t1 := t0.Add(time.Hour)
	var green, amber, bare int64
	update(t, s, func(tx *Tx) error {
		var mails [3]int64
		for i, sha := range []string{"f1", "f2", "f3"} {
			id, err := tx.InsertMail(ctx, &Mail{SHA256: sha, From: "nurse@hospital.example", ReceivedAt: t0}, []byte(sha))
			if err != nil {
				return err
			}
			mails[i] = id
		}
		// The institution's country and sector come along: the scope of
		// TAXII keys.
		inst, err := tx.PutContact(ctx, Contact{Kind: "institution", Name: "Hospital", Email: "soc@hospital.example", Country: "FR", Sector: " Health "})
		if err != nil {
			return err
		}
		if green, err = tx.OpenTicket(ctx, &Ticket{Reporter: "nurse@hospital.example", Subject: "Dr. Smith got this",
			TLP: "green", Severity: "high", CreatedAt: t0, Institution: &Contact{ID: inst}}, Event{Actor: "nurse@hospital.example"}); err != nil {
			return err
		}
		if amber, err = tx.OpenTicket(ctx, &Ticket{Reporter: "it@clinic.example", CreatedAt: t0}, Event{Actor: "it@clinic.example"}); err != nil {
			return err
		}
		if bare, err = tx.OpenTicket(ctx, &Ticket{Reporter: "x@clinic.example", CreatedAt: t0}, Event{Actor: "x@clinic.example"}); err != nil {
			return err
		}
		if err := tx.AddSightings(ctx, green, mails[0], []Sighting{
			{Type: "url", Value: "http://bad.example/login", Layer: "evidence"},
			{Type: "domain", Value: "bad.example", Layer: "evidence"},
			{Type: "domain", Value: "bad.example", Layer: "report"},
		}, t0); err != nil {
			return err
		}
		if err := tx.AddSightings(ctx, green, mails[1], []Sighting{{Type: "domain", Value: "bad.example", Layer: "report"}}, t1); err != nil {
			return err
		}
		if err := tx.AddSightings(ctx, amber, mails[2], []Sighting{{Type: "domain", Value: "bad.example", Layer: "report"}}, t1); err != nil {
			return err
		}
		// A stranger's pending evidence on the green ticket never leaves.
		if err := tx.AddSightings(ctx, green, mails[2], []Sighting{{Type: "domain", Value: "planted.example", Layer: "report",
			Pending: true, From: "mallory@rival.example"}}, t1); err != nil {
			return err
		}
		for _, n := range []int64{green, amber} {
			if _, err := tx.VerifyIndicators(ctx, n, []IndicatorKey{{Type: "domain", Value: "bad.example"}}, "alex@volunteers.example", t1); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := s.FeedTickets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []FeedTicket{
		{Number: green, State: StateNew, Severity: "high", TLP: "green", CreatedAt: t0, UpdatedAt: t0, Country: "FR", Sector: "health", Indicators: []FeedIndicator{
			{Type: "domain", Value: "bad.example", Verified: true, FirstSeen: t0, LastSeen: t1},
			{Type: "url", Value: "http://bad.example/login", FirstSeen: t0, LastSeen: t0},
		}},
		{Number: amber, State: StateNew, TLP: "amber", CreatedAt: t0, UpdatedAt: t0, Indicators: []FeedIndicator{
			{Type: "domain", Value: "bad.example", Verified: true, FirstSeen: t1, LastSeen: t1},
		}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FeedTickets:\n got %+v\nwant %+v", got, want)
	}
	for _, ft := range got {
		if ft.Number == bare {
			t.Errorf("ticket %d without indicators is in the feed", bare)
		}
	}
}
