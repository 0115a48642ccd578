package parser

import (
	"strings"
	"testing"
)

func TestRTFText(t *testing.T) {
	rtf := `{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Calibri;}}\f0\fs22 Please verify at {\field{\*\fldinst HYPERLINK "https://verify-account.example.com/login"}{\fldrslt here}}.\par Caf\'e9 \{x\}}`
	got := rtfText(rtf)
	for _, want := range []string{`HYPERLINK "https://verify-account.example.com/login"`, "Please verify at", "{x}"} {
		if !strings.Contains(got, want) {
			t.Errorf("rtfText = %q, want it to hold %q", got, want)
		}
	}
	if strings.Contains(got, `\par`) || strings.Contains(got, "fonttbl") {
		t.Errorf("control words left in %q", got)
	}
}
