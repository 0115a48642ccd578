package parser

import (
	"reflect"
	"testing"
)

func TestReadCommands(t *testing.T) {
	tests := []struct {
		name string
		own  string
		want []Command
	}{
		{"none", "Thanks for the report.\n#verify", []Command{}},
		{"one with spaces", "\n   #Close  false positive \n", []Command{{Name: "close", Args: []string{"false", "positive"}, Line: "#Close  false positive"}}},
		{"stops at prose", "#take\nI'll look at it.\n#close", []Command{{Name: "take", Args: []string{}, Line: "#take"}}},
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
