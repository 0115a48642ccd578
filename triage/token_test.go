package triage

import (
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	tk := NewTokens(secret)
	tok := tk.Issue(42, "Alice@Hospital.example")
	if !strings.HasPrefix(tok, "t42-") || len(tok) != len("t42-")+macLen {
		t.Fatalf("Issue = %q", tok)
	}
	other := NewTokens([]byte("another secret, just as long"))
	for _, c := range []struct {
		name   string
		tk     *Tokens
		token  string
		sender string
		want   int64
	}{
		{"issued to sender", tk, tok, "alice@hospital.example", 42},
		{"case folded", tk, strings.ToUpper(tok), " ALICE@hospital.example", 42},
		{"other sender", tk, tok, "mallory@evil.example", 0},
		{"other key", other, tok, "alice@hospital.example", 0},
		{"other ticket", tk, "t43-" + tok[4:], "alice@hospital.example", 0},
		{"short mac", tk, tok[:len(tok)-1], "alice@hospital.example", 0},
		{"no number", tk, "t-" + tok[4:], "alice@hospital.example", 0},
		{"negative", tk, "t-1-" + tok[4:], "alice@hospital.example", 0},
		{"garbage", tk, "hello", "alice@hospital.example", 0},
		{"empty", tk, "", "alice@hospital.example", 0},
	} {
		n, ok := c.tk.Verify(c.token, c.sender)
		if n != c.want || ok != (c.want != 0) {
			t.Errorf("%s: Verify(%q, %q) = %d, %v; want %d", c.name, c.token, c.sender, n, ok, c.want)
		}
	}
	if got := ReplyAddress("report@league.example", "t4-abc"); got != "report+t4-abc@league.example" {
		t.Errorf("ReplyAddress = %q", got)
	}
}
