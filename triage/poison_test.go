package triage

import (
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// TestPoison: a mail the gateway died on is stored as it came and ticketed
// with the reason, flagged, without the parser ever seeing it; offering it
// again changes nothing.
func TestPoison(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Parse = func([]byte) *parser.Message {
			t.Fatal("the parser ran on a mail that kills the gateway")
			return nil
		}
	})
	raw := []byte("From: Ana <Ana@Hospital-A.example>\r\nSubject: invoice\r\n\twith a fold\r\nMessage-ID: <p1@hospital-a.example>\r\n\r\nbody that kills\r\n")
	o := Origin{Mailbox: "imap://report@h/INBOX", UIDValidity: 3, UID: 42}
	reason := "the gateway died 3 times in a row with this mail in hand"
	for range 2 {
		if err := h.g.Poison(h.ctx, raw, o, reason); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := h.st.Tickets(h.ctx, store.TicketFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 {
		t.Fatalf("%d tickets, want 1", len(ts))
	}
	tk, err := h.st.Ticket(h.ctx, ts[0].Number)
	if err != nil {
		t.Fatal(err)
	}
	if !tk.Flagged || tk.Reporter != "ana@hospital-a.example" || !strings.Contains(tk.Subject, "invoice with a fold") {
		t.Errorf("ticket %+v: want flagged, from the mail's sender, with its subject", tk)
	}
	evs, err := h.st.Events(h.ctx, tk.Number)
	if err != nil {
		t.Fatal(err)
	}
	var said bool
	for _, e := range evs {
		said = said || strings.Contains(e.Detail, reason)
	}
	if !said {
		t.Errorf("events %+v do not give the reason", evs)
	}
	m, err := h.st.Mail(h.ctx, tk.OpenedBy)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.st.Raw(h.ctx, m.SHA256)
	if err != nil || string(got) != string(raw) {
		t.Errorf("raw kept %q, %v; want the mail as it came", got, err)
	}
	if taken, err := h.g.Taken(h.ctx, o.Mailbox, o.UIDValidity, []uint32{41, 42}); err != nil || len(taken) != 1 || taken[0] != 42 {
		t.Errorf("Taken = %v, %v; want the poisoned UID recorded", taken, err)
	}

	// The fetch itself killed the gateway: a ticket all the same, no bytes.
	o2 := Origin{Mailbox: o.Mailbox, UIDValidity: 3, UID: 43}
	if err := h.g.Poison(h.ctx, nil, o2, "died fetching it"); err != nil {
		t.Fatal(err)
	}
	if ts, _ := h.st.Tickets(h.ctx, store.TicketFilter{}); len(ts) != 2 {
		t.Errorf("%d tickets after a poison without bytes, want 2", len(ts))
	}
}
