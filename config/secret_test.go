package config

import (
	"strings"
	"testing"
)

func TestCheckSecret(t *testing.T) {
	for _, tt := range []struct {
		secret string
		want   string // in the complaint; "" for none
	}{
		{"REPLACE-WITH-openssl-rand-hex-32", "placeholder"},
		{"changeme-changeme-changeme-changeme", "placeholder"},
		{"0123456789abcdef0123", "too weak"},                             // 80 bits
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too weak"}, // long, one character
		{"abababababababababababababababababababab", "too weak"},
		{"hunter2hunter2hunter2hunter2", "too weak"},
		{"9f86d081884c7d659a2feaa0c55ad015", ""},                                 // 32 hex digits, 128 bits
		{"3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b", ""}, // openssl rand -hex 32
		{"q3Jx9+ZkP0vW7mT2bR5yN8cL1hF4dG6s", ""},                                 // base64
	} {
		got := checkSecret(tt.secret)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("checkSecret(%q) = %q, want %q", tt.secret, got, tt.want)
		}
		if got != "" && !strings.Contains(got, "openssl rand -hex 32") {
			t.Errorf("checkSecret(%q) = %q: it must say how to make one", tt.secret, got)
		}
	}
}
