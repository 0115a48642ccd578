// Package replytoken implements the league's bearer tokens in mail
// addresses: reply tokens, which put a ticket and the one recipient it was
// issued to in the Reply-To of the mails we send
// (report+t42-k3j5x7q2mfa4@league.example), and unsubscribe tokens, which
// take one contact off the area alerts (report+unsubscribe-u12-...@).
//
// Both are MACs keyed by the league's secret, in lower-case base32 since
// mail systems may fold the case of local parts. They live apart from
// triage because triage, the takedown loop and the SLA monitor all issue
// them, and none of those should reach into another stage for it.
package replytoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// A reply token is "t", the ticket number, "-" and the first 60 bits of
// HMAC-SHA256(secret, "leaguemail reply token\x00" number "\x00"
// recipient). It verifies only for the address it was issued to.
const macLen = 12 // base32 characters: 60 bits

// An unsubscribe token is "u", the contact's id, "-" and 130 bits of
// HMAC-SHA256(secret, "leaguemail unsubscribe\x00" id "\x00" email). It is
// a bearer secret that only unsubscribes, so it needs no expiry; a contact
// whose address changes gets new ones.
const unsubMacLen = 26

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// Keys issues and verifies tokens with a secret key.
type Keys struct {
	key []byte
}

// New returns Keys keyed by secret.
func New(secret []byte) *Keys { return &Keys{key: append([]byte(nil), secret...)} }

func (k *Keys) mac(purpose string, n int64, addr string, length int) string {
	h := hmac.New(sha256.New, k.key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(n, 10)))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(strings.TrimSpace(addr))))
	return strings.ToLower(b32.EncodeToString(h.Sum(nil)))[:length]
}

// Issue returns the reply token of ticket for recipient.
func (k *Keys) Issue(ticket int64, recipient string) string {
	return "t" + strconv.FormatInt(ticket, 10) + "-" + k.mac("leaguemail reply token", ticket, recipient, macLen)
}

// Verify returns the ticket of a reply token if it was issued to sender.
func (k *Keys) Verify(token, sender string) (ticket int64, ok bool) {
	n, mac, ok := split(token, 't', macLen)
	if !ok {
		return 0, false
	}
	if !hmac.Equal([]byte(mac), []byte(k.mac("leaguemail reply token", n, sender, macLen))) {
		return 0, false
	}
	return n, true
}

// Ticket reads the ticket number of a reply token without checking its
// MAC: what a bounce or a stranger's reply claims, never proof.
func Ticket(token string) (ticket int64, ok bool) {
	n, _, ok := split(token, 't', macLen)
	return n, ok
}

// Unsubscribe returns the unsubscribe token of contact id at email.
func (k *Keys) Unsubscribe(id int64, email string) string {
	return "u" + strconv.FormatInt(id, 10) + "-" + k.mac("leaguemail unsubscribe", id, email, unsubMacLen)
}

// UnsubscribeContact reads the contact id of an unsubscribe token; the
// caller looks the contact up and checks it with VerifyUnsubscribe.
func UnsubscribeContact(token string) (id int64, ok bool) {
	n, _, ok := split(token, 'u', unsubMacLen)
	return n, ok
}

// VerifyUnsubscribe reports whether token is the unsubscribe token of
// contact id at email.
func (k *Keys) VerifyUnsubscribe(token string, id int64, email string) bool {
	n, mac, ok := split(token, 'u', unsubMacLen)
	return ok && n == id && hmac.Equal([]byte(mac), []byte(k.mac("leaguemail unsubscribe", id, email, unsubMacLen)))
}

// split reads "<prefix>N-mac" without checking the MAC.
func split(token string, prefix byte, length int) (n int64, mac string, ok bool) {
	token = strings.ToLower(strings.TrimSpace(token))
	if len(token) == 0 || token[0] != prefix {
		return 0, "", false
	}
	num, mac, found := strings.Cut(token[1:], "-")
	if !found || len(mac) != length {
		return 0, "", false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, "", false
	}
	return n, mac, true
}

// Address returns address plus-addressed with token:
// report@league.example becomes report+TOKEN@league.example.
func Address(address, token string) string {
	local, domain, ok := strings.Cut(address, "@")
	if !ok || token == "" {
		return address
	}
	return local + "+" + token + "@" + domain
}
