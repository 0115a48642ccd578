package triage

import (
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

// The impersonation watch: a verified lookalike of an institution's own
// domain tells that institution, once.
func TestImpersonationWatch(t *testing.T) {
	h := trustHarness(t)
	if _, err := h.st.PutContact(h.ctx, store.Contact{Kind: "institution", Name: "St Mary Hospital", Email: stMary, Country: "XX",
		Region: "North", Covers: "hospital.example st-mary-hospital.fr 192.0.2.0/24 AS64500"}); err != nil {
		t.Fatal(err)
	}
	clinic := func(msgid, body string) int64 {
		out := h.takeMail(rawMail{from: "IT <it@clinic.example>", subject: "phish using St Mary's name", msgid: msgid,
			auth: []string{arPass("clinic.example")}, body: body})
		return out.ticket
	}
	n := clinic("<c1@clinic.example>", "Mail from hr@st-rnary-hospital.fr linking to https://st-mary-hospital-login.com/owa\n")
	// Pending evidence or an unverified domain tells no one.
	if len(h.sentTo(store.KindImpersonation, stMary)) != 0 {
		t.Fatal("told before a triager verified anything")
	}
	h.triager(n, true, "#verify\n")
	got := h.sentTo(store.KindImpersonation, stMary)
	if len(got) != 2 {
		t.Fatalf("%d impersonation alerts, want 2 (one per lookalike): %+v", len(got), got)
	}
	seen := map[string]string{}
	for _, m := range got {
		d, _ := m.MailData()
		if d.Lookalike == nil || d.Lookalike.Imitates != "st-mary-hospital.fr" || d.RecipientName != "St Mary Hospital" || d.Reporter != "" {
			t.Errorf("alert %+v", d)
			continue
		}
		seen[d.Lookalike.Domain] = d.Lookalike.How
	}
	if !strings.Contains(seen["st-rnary-hospital.fr"], "look-alike") || !strings.Contains(seen["st-mary-hospital-login.com"], "login") {
		t.Errorf("lookalikes %q", seen)
	}
	_, c := h.lastTo(store.KindCommandConfirm, alex)
	if !strings.Contains(c.Result, "impersonation alert to St Mary Hospital") {
		t.Errorf("confirmation %q", c.Result)
	}
	// Once per lookalike and institution: a second ticket with it, verified, tells no more.
	n2 := clinic("<c2@clinic.example>", "again https://st-mary-hospital-login.com/owa\n")
	h.triager(n2, true, "#verify\n")
	if k := len(h.sentTo(store.KindImpersonation, stMary)); k != 2 {
		t.Errorf("%d alerts after the second ticket", k)
	}
	// The institution that reports a lookalike of itself is not told of its own report.
	own := h.takeMail(rawMail{from: "Alice <" + stMary + ">", subject: "they imitate us", msgid: "<r7@hospital.example>",
		auth: []string{arPass("hospital.example")}, body: "see https://st-mary-hospitai.fr/\n"}).ticket
	h.triager(own, true, "#verify\n")
	if k := len(h.sentTo(store.KindImpersonation, stMary)); k != 2 {
		t.Errorf("%d alerts after its own report", k)
	}
}
