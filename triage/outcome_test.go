package triage

import (
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

// Outcomes (issue 15): #close VERDICT tells the reporter, with the
// triager's words and nothing quoted, the verified indicators only, and
// what the league did.

const stMary = "soc@hospital.example"

func TestCloseMaliciousTellsTheReporter(t *testing.T) {
	h := trustHarness(t)
	h.triager(1, true, "#verify\n#escalate CERT-XX\n")
	// Thunderbird's shape: the note, an attribution line, the quote.
	out := h.triager(1, true, "#close malicious campaign against the north\n"+
		"We saw the same page at three hospitals; it is blocked now.\n\n"+
		"On 23/11/2026 10:14, The League wrote:\n"+
		"> Escalation to CERT-XX: internal note, hxxps://other-secret[.]example\n")
	if out.disposition != DispAppended {
		t.Fatalf("close: %+v", out)
	}
	if st := h.ticketNow(1).State; st != store.StateClosed {
		t.Fatalf("state %s", st)
	}
	if v, _ := h.st.Verdict(h.ctx, 1); v != "malicious" {
		t.Errorf("verdict %q", v)
	}
	m, d := h.lastTo(store.KindOutcome, stMary)
	if m.State != store.OutboxQueued || m.InReplyTo != "<r1@hospital.example>" || !strings.Contains(m.Subject, "[League #1] Outcome: ") {
		t.Errorf("outcome mail %+v", m)
	}
	if d.Verdict != "malicious" {
		t.Errorf("verdict %q", d.Verdict)
	}
	if d.Text != "We saw the same page at three hospitals; it is blocked now." {
		t.Errorf("triager's text %q", d.Text)
	}
	if len(d.Actions) != 1 || !strings.Contains(d.Actions[0].What, "escalated to CERT-XX") {
		t.Errorf("actions %+v", d.Actions)
	}
	var vals []string
	for _, x := range d.Indicators {
		vals = append(vals, x.Value)
		if !x.Verified {
			t.Errorf("%s not verified", x.Value)
		}
	}
	if !strings.Contains(strings.Join(vals, " "), "evil.example") {
		t.Errorf("indicators %q", vals)
	}
	_, c := h.lastTo(store.KindCommandConfirm, alex)
	if !strings.Contains(c.Result, "verdict malicious") || !strings.Contains(c.Result, "the outcome goes to "+stMary) {
		t.Errorf("confirmation %q", c.Result)
	}
	if !h.hasEvent(1, "state", "closed by "+alex+": campaign against the north") {
		t.Errorf("no close event with the reason: %+v", h.detail(1).Events)
	}
}

func TestCloseVerdicts(t *testing.T) {
	tests := []struct {
		body, verdict string
		state         store.State
		told          bool
	}{
		{"#close\n", "resolved", store.StateClosed, true},
		{"#close same campaign as last week\n", "resolved", store.StateClosed, true},
		{"#close SPAM newsletter\n", "spam", store.StateClosed, true},
		{"#close quiet malicious\n", "malicious", store.StateClosed, false},
		{"#close duplicate quiet\n", "duplicate", store.StateClosed, false},
		{"#reject\n", "benign", store.StateRejected, true},
		{"#reject quiet the bank's real newsletter\n", "benign", store.StateRejected, false},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.body), func(t *testing.T) {
			h := trustHarness(t)
			h.triager(1, true, tt.body)
			if st := h.ticketNow(1).State; st != tt.state {
				t.Fatalf("state %s", st)
			}
			if v, _ := h.st.Verdict(h.ctx, 1); v != tt.verdict {
				t.Errorf("verdict %q, want %q", v, tt.verdict)
			}
			got := h.sentTo(store.KindOutcome, stMary)
			if tt.told != (len(got) == 1) {
				t.Fatalf("%d outcomes, told %v", len(got), tt.told)
			}
			if tt.told {
				d, _ := got[0].MailData()
				if d.Verdict != tt.verdict {
					t.Errorf("mail verdict %q", d.Verdict)
				}
				if len(d.Indicators) != 0 {
					t.Errorf("unverified indicators told: %+v", d.Indicators)
				}
			}
		})
	}
}

func TestRejectWithAnotherVerdict(t *testing.T) {
	h := trustHarness(t)
	h.triager(1, true, "#reject malicious\n")
	if st := h.ticketNow(1).State; st != store.StateNew {
		t.Errorf("state %s", st)
	}
	_, d := h.lastTo(store.KindCommandError, alex)
	if !strings.Contains(d.Result, "#close malicious") {
		t.Errorf("error %q", d.Result)
	}
	if len(h.sentTo(store.KindOutcome, stMary)) != 0 {
		t.Error("outcome sent")
	}
}

// A forged or unauthenticated reporter got no acknowledgement; the
// outcome, days later, does not answer it either.
func TestOutcomeNotToUnauthenticatedReporter(t *testing.T) {
	h := trustHarness(t)
	out := h.takeMail(rawMail{from: "IT <it@clinic.example>", subject: "phish", msgid: "<u1@clinic.example>",
		auth: []string{arNone("clinic.example")}, body: "see https://bad.example/x\n"})
	if out.disposition != DispOpened {
		t.Fatalf("%+v", out)
	}
	h.triager(out.ticket, true, "#close malicious\n")
	got := h.sentTo(store.KindOutcome, "it@clinic.example")
	if len(got) != 1 || got[0].State != store.OutboxSuppressed || !strings.Contains(got[0].LastError, "unauthenticated sender") {
		t.Fatalf("outcome %+v", got)
	}
	_, c := h.lastTo(store.KindCommandConfirm, alex)
	if !strings.Contains(c.Result, "no outcome to it@clinic.example") {
		t.Errorf("confirmation %q", c.Result)
	}
}

// The reporters of merged tickets are told too, with their own ticket's
// tag and thread, and learn of the other reporter's indicators only as
// far as TLP allows.
func TestOutcomeToMergedReporters(t *testing.T) {
	h := trustHarness(t)
	out := h.takeMail(rawMail{from: "IT <it@clinic.example>", subject: "same phish", msgid: "<c1@clinic.example>",
		auth: []string{arPass("clinic.example")}, body: "we got https://evil.example/login and https://clinic-only.example/a\n"})
	n2 := out.ticket
	h.triager(n2, true, "#merge 1\n")
	h.triager(1, true, "#verify\n#close malicious\nBlocked.\n")
	_, d1 := h.lastTo(store.KindOutcome, stMary)
	m2, d2 := h.lastTo(store.KindOutcome, "it@clinic.example")
	if d2.Ticket != n2 || m2.InReplyTo != "<c1@clinic.example>" || d2.Verdict != "malicious" || d2.Text != "Blocked." {
		t.Errorf("merged reporter's outcome %+v %+v", m2, d2)
	}
	has := func(d store.MailData, v string) bool {
		for _, x := range d.Indicators {
			if x.Value == v {
				return true
			}
		}
		return false
	}
	// #1 is TLP:AMBER: St Mary learns nothing of the clinic's own find.
	if has(d1, "clinic-only.example") || !has(d1, "evil.example") {
		t.Errorf("St Mary's outcome: %+v", d1.Indicators)
	}
	if !has(d2, "clinic-only.example") || !has(d2, "evil.example") {
		t.Errorf("the clinic's outcome: %+v", d2.Indicators)
	}
}

// A report that came encrypted is not repeated in clear by its outcome.
func TestOutcomeOfAnEncryptedReport(t *testing.T) {
	h := trustHarness(t)
	tk := h.ticketNow(1)
	if err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		_, err := tx.AddEvent(h.ctx, store.Event{Ticket: 1, At: h.now, Actor: "leaguemail", Kind: "crypto", Mail: tk.OpenedBy,
			Detail: "came encrypted", Data: []byte(`{"encrypted":true}`)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.triager(1, true, "#verify\n#close malicious\nBlocked.\n")
	m, d := h.lastTo(store.KindOutcome, stMary)
	if d.Subject != "" || len(d.Indicators) != 0 || strings.Contains(m.Subject, "phishing") || d.Text != "Blocked." {
		t.Errorf("outcome of an encrypted report: %q %+v", m.Subject, d)
	}
}
