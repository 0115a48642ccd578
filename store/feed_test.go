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
		var err error
		if green, err = tx.OpenTicket(ctx, &Ticket{Reporter: "nurse@hospital.example", Subject: "Dr. Smith got this",
			TLP: "green", Severity: "high", CreatedAt: t0}, Event{Actor: "nurse@hospital.example"}); err != nil {
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
		// #verify has no store call yet; set the flag as it will.
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO verifications (indicator, ticket, by, at) SELECT s.indicator, s.ticket, 'test', MIN(s.first_seen) FROM sightings s JOIN indicators i ON i.id = s.indicator WHERE i.type = 'domain' GROUP BY s.indicator, s.ticket`)
		return err
	})
	got, err := s.FeedTickets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []FeedTicket{
		{Number: green, State: StateNew, Severity: "high", TLP: "green", CreatedAt: t0, UpdatedAt: t0, Indicators: []FeedIndicator{
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
