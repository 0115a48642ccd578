package triage

import (
	"testing"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// TestAuthorityIsPerTicket: a reply token authenticates commands on its
// own ticket (or one it was merged into) only.
func TestAuthorityIsPerTicket(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@h>", "One"))
	h.take(report("bob@clinic.example", "<r2@h>", "Two"))
	tok1 := h.g.Tokens().Issue(1, "alex@volunteers.example")
	tests := []struct {
		name   string
		from   string
		tokens []string
		ticket int64
		ok     bool
	}{
		{"own token, own ticket", "alex@volunteers.example", []string{tok1}, 1, true},
		{"own token, another ticket", "alex@volunteers.example", []string{tok1}, 2, false},
		{"someone else's token", "alex@volunteers.example", []string{h.g.Tokens().Issue(1, alice)}, 1, false},
		{"a token with a forged ticket number", "alex@volunteers.example", []string{"t2" + tok1[2:]}, 2, false},
		{"a triager's token from a non-triager", alice, []string{h.g.Tokens().Issue(1, alice)}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.st.Update(h.ctx, func(tx *store.Tx) error {
				in := &intake{g: h.g, ctx: h.ctx, tx: tx, from: tt.from, msg: &parser.Message{Tokens: tt.tokens}}
				ok, why, err := in.authority(tt.ticket)
				if ok != tt.ok {
					t.Errorf("authority = %v (%s)", ok, why)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
