package parser

import (
	"reflect"
	"strings"
	"testing"
)

// TestClientShapes: mails as Thunderbird, Apple Mail, Gmail and Outlook
// write them (testdata/clients/README.md says which is which) give the
// commands and words their writer meant.
func TestClientShapes(t *testing.T) {
	tests := []struct {
		file      string
		commands  []string // "name arg arg", "!" ahead when AfterText
		text      string   // in Text
		notText   string   // not in Text
		indicator string
	}{
		// RFC 3676: the soft break after "reset the" is no end of the
		// #close reason.
		{file: "thunderbird-flowed-close.eml",
			commands: []string{"close resolved the hospital blocked the page at its proxy and reset the two passwords; the host took the site down at 10:40"},
			text:     "Thanks for the quick report, it helped."},
		// DelSp=yes: the space before a soft break is not text, so the
		// URL broken across two lines is one URL again.
		{file: "applemail-flowed-delsp.eml", text: "l’équipe.", notText: "thank you for your report",
			indicator: "https://vpn-renew.evil.example/session/refresh?id=8841"},
		{file: "gmail-greeting-commands.eml", commands: []string{"!severity high", "!tlp green"},
			text: "Two passwords were entered", notText: "#close"},
		{file: "outlook-greeting-commands.eml", commands: []string{"!severity high", "!sevrity critical"}, notText: "#close"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, "clients/"+tt.file)
			var got []string
			for _, c := range m.Commands {
				s := strings.Join(append([]string{c.Name}, c.Args...), " ")
				if c.AfterText {
					s = "!" + s
				}
				got = append(got, s)
			}
			if len(got) != len(tt.commands) || (len(got) > 0 && !reflect.DeepEqual(got, tt.commands)) {
				t.Errorf("commands %q, want %q", got, tt.commands)
			}
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("text %q lacks %q", m.Text, tt.text)
			}
			if tt.notText != "" && strings.Contains(m.Text, tt.notText) {
				t.Errorf("text %q has %q", m.Text, tt.notText)
			}
			if tt.indicator != "" && !has(m, "url", tt.indicator, "") {
				t.Errorf("no url %s in %+v", tt.indicator, m.Indicators)
			}
		})
	}
}

func TestUnflow(t *testing.T) {
	tests := []struct {
		in    string
		delSp bool
		want  string
	}{
		{"one \r\ntwo\r\n", false, "one two\n"},
		{"one \r\ntwo\r\n", true, "onetwo\n"},
		{" From stuffed\n", false, "From stuffed\n"},
		{"> a \n> b\nc\n", false, "> a b\nc\n"},
		{"> a \n>> b\n", false, "> a \n>> b\n"},
		{"text\n-- \nsig\n", false, "text\n-- \nsig\n"},
		{"no end \n", false, "no end \n"},
	}
	for _, tt := range tests {
		if got := unflow(tt.in, tt.delSp); got != tt.want {
			t.Errorf("unflow(%q, %v) = %q, want %q", tt.in, tt.delSp, got, tt.want)
		}
	}
}

// FuzzUnflow: unflowing never adds text and never panics.
func FuzzUnflow(f *testing.F) {
	f.Add("a \nb\n> c \n> d\n-- \n", true)
	f.Fuzz(func(t *testing.T, in string, delSp bool) {
		out := unflow(in, delSp)
		if len(strings.ReplaceAll(out, "> ", ">")) > len(in)+1 {
			t.Fatalf("unflow(%q) = %q: longer", in, out)
		}
	})
}

// BenchmarkUnflow: decoding a flowed text of 8 KiB (go test -bench Unflow ./parser).
func BenchmarkUnflow(b *testing.B) {
	text := strings.Repeat("a line of a flowed paragraph that goes on \r\nand ends here.\r\n> quoted and \r\n> flowed\r\n", 100)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		unflow(text, false)
	}
}
