package triage

import (
	"testing"

	"github.com/hospital-league/leaguemail/parser"
)

func TestTriagerNote(t *testing.T) {
	cmd := func(name, line string) parser.Command { return parser.Command{Name: name, Line: line} }
	tests := []struct {
		name string
		text string
		cmds []parser.Command
		want string
	}{
		{"note below commands", "#verify\n#escalate CERT-FR\n\nLooks real: three hospitals hit.\nAlex",
			[]parser.Command{cmd("verify", "#verify"), cmd("escalate", "#escalate CERT-FR")}, "Looks real: three hospitals hit.\nAlex"},
		{"no note", "#escalate", []parser.Command{cmd("escalate", "#escalate")}, ""},
		{"reply text is the reporter's", "#escalate\n#reply\nThanks", []parser.Command{cmd("escalate", "#escalate"), {Name: "reply", Line: "#reply", Text: "Thanks"}}, ""},
		{"blank lines above", "\n\n  #escalate  \nsee below", []parser.Command{cmd("escalate", "#escalate")}, "see below"},
		{"no commands", "just words", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := triagerNote(&parser.Message{Text: tt.text, Commands: tt.cmds}); got != tt.want {
				t.Errorf("note = %q, want %q", got, tt.want)
			}
		})
	}
}
