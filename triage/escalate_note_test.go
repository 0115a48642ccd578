package triage

import (
	"testing"

	"github.com/hospital-league/leaguemail/parser"
)

// TestTriagerNote: the note a CERT gets is what the triager wrote below
// the commands, never what follows a quote (issue 12, point 5).
func TestTriagerNote(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"note below commands", "#verify\n#escalate CERT-FR\n\nLooks real: three hospitals hit.\nAlex", "Looks real: three hospitals hit.\nAlex"},
		{"no note", "#escalate", ""},
		{"reply text is the reporter's", "#escalate\n#reply\nThanks", ""},
		{"blank lines above", "\n\n  #escalate  \nsee below", "see below"},
		{"no commands", "just words", ""},
		{"internal note below the quote", "#escalate\nConfirmed.\n\nOn Mon, 3 Mar 2026, League <report@league.example> wrote:\n> x\n#7 is the Charité case, TLP:RED",
			"Confirmed."},
		{"internal note below a french outlook block", "#escalate\nConfirmé.\n\nDe : League <report@league.example>\nÀ : Alex\n\nNe pas transmettre : TLP:RED", "Confirmé."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "From: alex@volunteers.example\r\nTo: report@league.example\r\nSubject: Re: [League #1] x\r\nMessage-ID: <n@v>\r\n" +
				"Content-Type: text/plain; charset=utf-8\r\n\r\n" + tt.body + "\r\n"
			m := parser.Parse([]byte(raw), parser.Options{Address: "report@league.example", Tag: "League"})
			if got := triagerNote(m); got != tt.want {
				t.Errorf("note = %q, want %q", got, tt.want)
			}
		})
	}
}
