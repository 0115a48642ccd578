package sla

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// The daily digest comes once a day at digest_at in each triager's shift
// zone: not at the first start, not twice after a restart, and it lists
// the overdue, open and waiting tickets and the new campaigns.
func TestDailyDigest(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.DigestAt = 8 * time.Hour
		c.OnCall = map[string]string{alex: "Mon-Fri 08:00-16:00 Europe/Paris"}
	})
	// The first tick, 09:00 UTC on Tuesday 1 December: no digest yet.
	if got := kinds(h.at(0), store.KindDailyDigest); len(got) != 0 {
		t.Fatalf("first start: %d digests", len(got))
	}
	a := h.report("soc@stmary.example", "Phishing at St Mary")
	h.now = t0.Add(time.Hour)
	b := h.report("it@general.example", "Same phishing at General")
	h.command(sam, b, "#take", "#wait 2d CERT-FR")
	h.report("it@third.example", "Unrelated")
	if err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		_, err := tx.AddTakedownRequest(h.ctx, &store.TakedownRequest{Ticket: a, Type: "url", Value: "http://login-portal.phish.com/verify",
			Contact: "abuse@registrar.example", Source: "rdap", RequestedAt: h.now})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// 07:00 UTC the next day is 08:00 in Paris: alex's digest, not sam's.
	got := kinds(h.at(22*time.Hour), store.KindDailyDigest)
	if r := recipients(got); !slices.Equal(r, []string{alex}) {
		t.Fatalf("08:00 Paris: digests to %v, want alex", r)
	}
	d, _ := got[0].MailData()
	text := d.Text
	for _, want := range []string{
		"Daily digest of Wed 2 Dec 2026 08:00 (Europe/Paris): 3 open tickets, 2 overdue, 1 waiting.",
		"Overdue, the longest overdue first:\n  #1",
		"Waiting, the longest first:\n  #2  since 2026-12-01 11:00  until 2026-12-03 11:00 or an answer  sam@volunteers.example  CERT-FR",
		"New campaigns since",
		"login-portal[.]phish[.]com",
		"3 institutions  #1 #2 #3",
		"Takedowns pending (1), the oldest first:\n  #1  hxxp://login-portal[.]phish[.]com/verify  requested  asked of abuse@registrar.example  since 2026-12-01 11:00",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "phish.com") {
		t.Errorf("digest has a live indicator:\n%s", text)
	}
	if !strings.Contains(got[0].Subject, "Daily digest: 3 open, 2 overdue") {
		t.Errorf("subject %q", got[0].Subject)
	}
	h.restart()
	if got := kinds(h.at(22*time.Hour+30*time.Minute), store.KindDailyDigest); len(got) != 0 {
		t.Fatalf("after a restart: %d more digests", len(got))
	}
	got = kinds(h.at(23*time.Hour), store.KindDailyDigest)
	if r := recipients(got); !slices.Equal(r, []string{sam}) {
		t.Fatalf("08:00 UTC: digests to %v, want sam", r)
	}
	// Down over the next digest time: one digest when back, not two.
	got = kinds(h.at(3*24*time.Hour), store.KindDailyDigest)
	if r := recipients(got); !slices.Equal(r, []string{alex, sam}) {
		t.Fatalf("back after two days: digests to %v", r)
	}
	d, _ = got[0].MailData()
	if !strings.Contains(d.Text, "New campaigns since 2026-12-02 08:00 (indicators that reports of several institutions share):\n  (none)") {
		t.Errorf("the next digest lists campaigns not new:\n%s", d.Text)
	}
}

func TestLastDue(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for _, tt := range []struct {
		now  string
		loc  *time.Location
		want string
	}{
		{"2026-12-02 07:59", time.UTC, "2026-12-01 08:00"},
		{"2026-12-02 08:00", time.UTC, "2026-12-02 08:00"},
		{"2026-12-02 07:00", paris, "2026-12-02 07:00"},
		{"2026-12-02 06:59", paris, "2026-12-01 07:00"},
		// The day after the spring change, 08:00 in Paris is 06:00 UTC.
		{"2026-03-29 06:30", paris, "2026-03-29 06:00"},
		{"2026-03-28 07:30", paris, "2026-03-28 07:00"},
	} {
		if got := lastDue(utc(tt.now), tt.loc, 8*time.Hour); !got.Equal(utc(tt.want)) {
			t.Errorf("lastDue(%s UTC, %v) = %v, want %s UTC", tt.now, tt.loc, got.UTC(), tt.want)
		}
	}
}
