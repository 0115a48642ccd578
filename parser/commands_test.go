package parser

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadCommands(t *testing.T) {
	tests := []struct {
		name string
		own  string
		want []Command
	}{
		{"none", "Thanks for the report.\nWe saw # 1 and #2.", []Command{}},
		{"after a greeting", "Hi team,\n\n#severity high\n#tlp green\n", []Command{
			{Name: "severity", Args: []string{"high"}, Line: "#severity high", AfterText: true},
			{Name: "tlp", Args: []string{"green"}, Line: "#tlp green", AfterText: true},
		}},
		{"punctuation after the word", "#severity: high\n#verify.", []Command{
			{Name: "severity", Args: []string{"high"}, Line: "#severity: high"},
			{Name: "verify", Args: []string{}, Line: "#verify."},
		}},
		{"a space after the hash", "# verify", []Command{
			{Name: "verify", Args: []string{}, Line: "# verify", Problem: "there is a space between # and verify: write #verify"},
		}},
		{"a heading is no command", "# Summary\nAll fine.", []Command{}},
		{"one with spaces", "\n   #Close  false positive \n", []Command{{Name: "close", Args: []string{"false", "positive"}, Line: "#Close  false positive"}}},
		{"prose between", "#take\nI'll look at it.\n#close", []Command{
			{Name: "take", Args: []string{}, Line: "#take"},
			{Name: "close", Args: []string{}, Line: "#close", AfterText: true},
		}},
		{"reply takes the rest", "#tlp amber\n#reply\nDear team,\nblocked.", []Command{
			{Name: "tlp", Args: []string{"amber"}, Line: "#tlp amber"},
			{Name: "reply", Args: []string{}, Line: "#reply", Text: "Dear team,\nblocked."},
		}},
		{"hash without a word", "#1 priority", []Command{}},
		{"merge", "#merge 12", []Command{{Name: "merge", Args: []string{"12"}, Line: "#merge 12"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readCommands(tt.own); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzReadCommands: any text yields commands that are lines of it, with a
// lower-case name, and never more than the limit.
func FuzzReadCommands(f *testing.F) {
	f.Add("#verify\n#escalate CERT-FR\n#reply\nhello")
	f.Add("  #Close  because\n> #merge 3")
	f.Add("#\n#1\n#é x")
	f.Fuzz(func(t *testing.T, own string) {
		cmds := readCommands(own)
		if len(cmds) > maxCommands {
			t.Fatalf("%d commands", len(cmds))
		}
		for _, c := range cmds {
			if c.Name == "" || c.Name != strings.ToLower(c.Name) || !strings.Contains(own, c.Line) {
				t.Fatalf("command %+v from %q", c, own)
			}
		}
	})
}
