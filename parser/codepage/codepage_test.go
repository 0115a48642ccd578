package codepage

import "testing"

func TestDecodeCodePage(t *testing.T) {
	tests := []struct {
		in   string
		cp   int
		want string
	}{
		{"caf\xe9", 1252, "café"},
		{"\xcf\xf0\xe8\xe2\xe5\xf2", 1251, "Привет"},
		{"\x93\xfa\x96\x7b", 932, "日本"},
		{"plain", 99999, "plain"},
		{"caf\xc3\xa9", 65001, "café"},
		{"caf\xe9", 99999, "café"}, // unknown code page, not UTF-8: Windows-1252
	}
	for _, tt := range tests {
		if got := Decode([]byte(tt.in), tt.cp); got != tt.want {
			t.Errorf("Decode(%q, %d) = %q, want %q", tt.in, tt.cp, got, tt.want)
		}
	}
}
