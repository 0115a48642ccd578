package replytoken

import (
	"strings"
	"testing"
)

var secret = []byte("0123456789abcdef-test-secret")

// Tokens already in the Reply-To of mails sent, and in the List-Unsubscribe
// of alerts, must keep verifying: these were issued before the package
// moved out of triage.
func TestTokensIssuedBeforeStayValid(t *testing.T) {
	k := New(secret)
	if got := k.Issue(42, "alice@hospital.example"); got != "t42-eysbu4r6r5i7" {
		t.Errorf("Issue = %q, want the token issued by earlier versions", got)
	}
	if got := k.Unsubscribe(12, "it@clinic.example"); got != "u12-rmgmsuh7flnyhafjsocd76z2w3" {
		t.Errorf("Unsubscribe = %q, want the token issued by earlier versions", got)
	}
}

func TestVerify(t *testing.T) {
	k := New(secret)
	tok := k.Issue(42, "Alice@Hospital.example")
	if !strings.HasPrefix(tok, "t42-") || len(tok) != len("t42-")+macLen {
		t.Fatalf("Issue = %q", tok)
	}
	other := New([]byte("another secret, just as long"))
	for _, c := range []struct {
		name   string
		k      *Keys
		token  string
		sender string
		want   int64
	}{
		{"issued to sender", k, tok, "alice@hospital.example", 42},
		{"case folded", k, strings.ToUpper(tok), " ALICE@hospital.example", 42},
		{"other sender", k, tok, "mallory@evil.example", 0},
		{"other key", other, tok, "alice@hospital.example", 0},
		{"other ticket", k, "t43-" + tok[4:], "alice@hospital.example", 0},
		{"short mac", k, tok[:len(tok)-1], "alice@hospital.example", 0},
		{"no number", k, "t-" + tok[4:], "alice@hospital.example", 0},
		{"negative", k, "t-1-" + tok[4:], "alice@hospital.example", 0},
		{"an unsubscribe token", k, k.Unsubscribe(42, "alice@hospital.example"), "alice@hospital.example", 0},
		{"garbage", k, "hello", "alice@hospital.example", 0},
		{"empty", k, "", "alice@hospital.example", 0},
	} {
		n, ok := c.k.Verify(c.token, c.sender)
		if n != c.want || ok != (c.want != 0) {
			t.Errorf("%s: Verify(%q, %q) = %d, %v; want %d", c.name, c.token, c.sender, n, ok, c.want)
		}
	}
}

func TestTicketClaimsWithoutProof(t *testing.T) {
	k := New(secret)
	for _, c := range []struct {
		token string
		want  int64
	}{
		{k.Issue(7, "a@b.example"), 7},
		{"t7-aaaaaaaaaaaa", 7}, // a forged MAC still names a ticket: a claim, not proof
		{"t7-short", 0},
		{"u7-aaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
		{"x", 0},
	} {
		if n, ok := Ticket(c.token); n != c.want || ok != (c.want != 0) {
			t.Errorf("Ticket(%q) = %d, %v; want %d", c.token, n, ok, c.want)
		}
	}
}

func TestUnsubscribe(t *testing.T) {
	k := New(secret)
	tok := k.Unsubscribe(12, "IT@clinic.example")
	if id, ok := UnsubscribeContact(tok); !ok || id != 12 {
		t.Fatalf("UnsubscribeContact(%q) = %d, %v", tok, id, ok)
	}
	for _, c := range []struct {
		name  string
		token string
		id    int64
		email string
		want  bool
	}{
		{"its contact", tok, 12, "it@clinic.example", true},
		{"upper case", strings.ToUpper(tok), 12, "it@clinic.example", true},
		{"address changed", tok, 12, "new@clinic.example", false},
		{"other contact", tok, 13, "it@clinic.example", false},
		{"reply token", k.Issue(12, "it@clinic.example"), 12, "it@clinic.example", false},
		{"other key", New([]byte("another secret, just as long")).Unsubscribe(12, "it@clinic.example"), 12, "it@clinic.example", false},
	} {
		if got := k.VerifyUnsubscribe(c.token, c.id, c.email); got != c.want {
			t.Errorf("%s: VerifyUnsubscribe = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAddress(t *testing.T) {
	for _, c := range []struct{ address, token, want string }{
		{"report@league.example", "t4-abc", "report+t4-abc@league.example"},
		{"report@league.example", "", "report@league.example"},
		{"not-an-address", "t4-abc", "not-an-address"},
	} {
		if got := Address(c.address, c.token); got != c.want {
			t.Errorf("Address(%q, %q) = %q, want %q", c.address, c.token, got, c.want)
		}
	}
}
