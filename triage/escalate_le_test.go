package triage

import (
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

// #escalate takes law enforcement contacts by name like CERTs, with the
// same escalation mail; their answer lands on the ticket as an answer.
func TestEscalateToLawEnforcement(t *testing.T) {
	h := newCommandHarness(t)
	police := store.Contact{Kind: "le", Name: "Cyber Police XX", Email: "cyber@police-xx.example", Country: "XX"}
	if _, err := h.st.PutContact(h.ctx, police); err != nil {
		t.Fatal(err)
	}
	before := len(h.outbox())
	h.mail("escalate-le.eml")
	s := sent(h.outbox()[before:])
	o := s.one(t, store.KindEscalation, police.Email)
	if d := data(t, o); d.RecipientName != "Cyber Police XX" || d.Ticket != 1 {
		t.Errorf("escalation data %+v", d)
	}
	if role := h.participantRole(1, police.Email); role != "le" {
		t.Errorf("the police is a participant as %q", role)
	}
	// #escalate alone still goes to the national CERT only.
	if len(s.to(store.KindEscalation, cert)) != 0 {
		t.Error("the CERT was mailed too")
	}
}

func (h *harness) participantRole(n int64, email string) string {
	h.t.Helper()
	var role string
	err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		var err error
		role, err = tx.ParticipantRole(h.ctx, n, email)
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return role
}
