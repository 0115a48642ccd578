package triage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// Reply tokens put a ticket, and the one recipient it was issued to, in the
// Reply-To of the mails we send: report+t42-k3j5x7q2mfa4@league.example.
// The token is "t", the ticket number, "-" and a MAC: the first 60 bits of
// HMAC-SHA256(secret, "leaguemail reply token\x00" number "\x00" recipient),
// in lower-case base32 (mail systems may fold the case of local parts).
// A token verifies only for the address it was issued to.

const macLen = 12 // base32 characters: 60 bits

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Tokens issues and verifies reply tokens with a secret key.
type Tokens struct {
	key []byte
}

// NewTokens returns Tokens keyed by secret.
func NewTokens(secret []byte) *Tokens { return &Tokens{key: append([]byte(nil), secret...)} }

func (tk *Tokens) mac(ticket int64, recipient string) string {
	h := hmac.New(sha256.New, tk.key)
	h.Write([]byte("leaguemail reply token\x00"))
	h.Write([]byte(strconv.FormatInt(ticket, 10)))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(strings.TrimSpace(recipient))))
	return strings.ToLower(b32.EncodeToString(h.Sum(nil)))[:macLen]
}

// Issue returns the token of ticket for recipient.
func (tk *Tokens) Issue(ticket int64, recipient string) string {
	return "t" + strconv.FormatInt(ticket, 10) + "-" + tk.mac(ticket, recipient)
}

// Verify returns the ticket of token if it was issued to sender.
func (tk *Tokens) Verify(token, sender string) (ticket int64, ok bool) {
	n, mac, ok := splitToken(token)
	if !ok {
		return 0, false
	}
	if !hmac.Equal([]byte(mac), []byte(tk.mac(n, sender))) {
		return 0, false
	}
	return n, true
}

// splitToken reads "t42-mac" without checking the MAC.
func splitToken(token string) (ticket int64, mac string, ok bool) {
	token = strings.ToLower(strings.TrimSpace(token))
	num, mac, found := strings.Cut(strings.TrimPrefix(token, "t"), "-")
	if !found || !strings.HasPrefix(token, "t") || len(mac) != macLen {
		return 0, "", false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, mac, true
}

// ReplyAddress returns address plus-addressed with token:
// report@league.example becomes report+TOKEN@league.example.
func ReplyAddress(address, token string) string {
	local, domain, ok := strings.Cut(address, "@")
	if !ok || token == "" {
		return address
	}
	return local + "+" + token + "@" + domain
}
