package takedown

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

// An abuse desk's answer lands on the ticket as an answer, even from
// another address of the desk's domain (its ticket system), and marks
// its requests answered; the triagers are told.
func TestDeskAnswer(t *testing.T) {
	f := newFixture(t, nil)
	f.report()
	f.triager("#verify", "#takedown")
	f.tick()
	req := f.to(store.KindTakedown, hosterAbuse)
	if len(req) != 1 {
		t.Fatalf("requests to the hoster: %d", len(req))
	}
	// Authenticated by our MX (DKIM of hoster.example, aligned with the
	// ticket system's address): answers must be (issue 12).
	f.take(fmt.Sprintf(authres, "hoster.example", "tickets.hoster.example") + fmt.Sprintf(`Message-ID: <abuse-77@tickets.hoster.example>
Date: Mon, 23 Nov 2026 12:00:00 +0000
From: Example Hosting Abuse <noreply@tickets.hoster.example>
To: %s
Subject: Re: %s [ABUSE-77]
In-Reply-To: %s
Content-Type: text/plain; charset=utf-8

We have suspended the account. Case ABUSE-77.
`, req[0].ReplyTo, req[0].Subject, req[0].MessageID))
	if evs := f.events("answer"); len(evs) != 1 || !strings.Contains(evs[0].Detail, "answered the takedown request") {
		t.Fatalf("answer events: %+v", evs)
	}
	reqs, _ := f.st.TakedownRequests(f.ctx, 1, false)
	for _, r := range reqs {
		want := "requested"
		if r.Contact == hosterAbuse {
			want = "answered"
		}
		if r.State != want {
			t.Errorf("request %s to %s: %s, want %s", r.Value, r.Contact, r.State, want)
		}
	}
	ups := f.to(store.KindTriagerUpdate, alex)
	if len(ups) == 0 || !strings.Contains(ups[len(ups)-1].Subject, "Answer to the takedown request") {
		t.Errorf("the triagers were not told: %+v", ups)
	}
	d, _ := f.st.TicketDetail(f.ctx, 1)
	if d.Ticket.Flagged {
		t.Error("the desk's answer flagged the ticket")
	}
}
