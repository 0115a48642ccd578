package main

import "testing"

func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"plain text\n\tindented":               "plain text\n\tindented",
		"Hôpital Saint-Jean":                   "Hôpital Saint-Jean",
		"\x1b[2J\x1b]0;owned\x07cleared":       `\x1b[2J\x1b]0;owned\x07cleared`,
		"carriage\rreturn and \x7f":            `carriage\x0dreturn and \x7f`,
		"C1 \u009b31m and bidi \u202eevil.exe": `C1 \u009b31m and bidi \u202eevil.exe`,
		"broken \xff byte":                     `broken \xff byte`,
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
