package config

import (
	"fmt"
	"math"
	"strings"
)

// minSecretBits is the least entropy a reply-token secret may have: with
// less, tokens can be guessed offline from any one of them.
const minSecretBits = 128

// placeholders are words that mark a secret copied from an example, which
// anyone can read and so compute every triager's reply token with.
var placeholders = []string{"replace", "changeme", "change-me", "example", "placeholder", "your-secret", "xxxxxxxx"}

// checkSecret says what is wrong with a reply-token secret, "" if nothing.
// Entropy is estimated from the characters the secret is made of (hex is 4
// bits a character, base64 6, any printable text 6.5), and a secret of few
// distinct characters, or mostly one character, counts as guessable
// whatever its length.
func checkSecret(s string) string {
	const how = "make one with: openssl rand -hex 32"
	low := strings.ToLower(s)
	for _, p := range placeholders {
		if strings.Contains(low, p) {
			return fmt.Sprintf("%q is a placeholder, and anyone who read the example can forge reply tokens with it: %s", s, how)
		}
	}
	distinct := map[rune]int{}
	most, n := 0, 0
	for _, r := range s {
		distinct[r]++
		most = max(most, distinct[r])
		n++
	}
	if bits := float64(n) * bitsPerChar(s); bits < minSecretBits {
		return fmt.Sprintf("too weak: about %.0f bits of entropy, and reply tokens need %d or more (32 hex digits at least): %s",
			math.Floor(bits), minSecretBits, how)
	}
	if len(distinct) < 8 || most*4 > n {
		return fmt.Sprintf("too weak: %d distinct characters in %d, far from random: %s", len(distinct), n, how)
	}
	return ""
}

// bitsPerChar is the entropy of one character of s, by the smallest
// common alphabet it is written in.
func bitsPerChar(s string) float64 {
	hex, alnum, b64 := true, true, true
	for _, r := range s {
		isDigit := '0' <= r && r <= '9'
		isLetter := ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		hex = hex && (isDigit || strings.ContainsRune("abcdefABCDEF", r))
		alnum = alnum && (isDigit || isLetter)
		b64 = b64 && (isDigit || isLetter || strings.ContainsRune("+/=-_", r))
	}
	switch {
	case hex:
		return 4
	case alnum:
		return math.Log2(62)
	case b64:
		return 6
	}
	return 6.5
}
