// Package lookalike implements the impersonation watch's test: whether a
// domain seen in a report imitates an institution's own domain. It is
// pure (no I/O) and reads untrusted input: indicator values from reports.
//
// A domain imitates own when, comparing the labels left of their public
// suffixes ("st-mary" of st-mary.example.org... of st-mary.fr), it has
//
//   - the same label under another suffix (st-mary.com for st-mary.fr);
//   - the label with one edit: a letter added, dropped, replaced, or two
//     neighbours swapped (st-marry.fr, st-mray.fr), for labels of four
//     letters or more;
//   - the label written with look-alike characters: digits and letter
//     pairs (st-rnary, 5t-mary), or an IDN whose Unicode form displays the
//     same (Cyrillic а for Latin a: xn--st-mry-hospital-xlm.fr displays as
//     st-mаry-hospital.fr);
//   - the label joined to words of a login page (st-mary-login.com,
//     secure-stmary.net);
//   - or the label as a subdomain of someone else's domain
//     (st-mary.account-verify.com).
//
// A subdomain of own, or own itself, is not a lookalike: it is theirs.
package lookalike

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// maxLen bounds what is compared: no domain name is longer (RFC 1035).
const maxLen = 253

// Match reports whether domain imitates own, and how, in words for the
// institution ("one letter changed"). Both are domain names, in A-label
// or Unicode form, any case.
func Match(domain, own string) (how string, ok bool) {
	d, o := normal(domain), normal(own)
	if d == "" || o == "" || len(d) > maxLen || len(o) > maxLen {
		return "", false
	}
	if d == o || strings.HasSuffix(d, "."+o) {
		return "", false
	}
	dl, dsuf, dsub := split(d)
	ol, osuf, _ := split(o)
	if dl == "" || ol == "" || utf8.RuneCountInString(ol) < 3 {
		return "", false
	}
	du := unicodeLabel(dl)
	switch {
	case dl == ol && dsuf != osuf:
		return "the same name under ." + dsuf + " instead of ." + osuf, true
	case utf8.RuneCountInString(ol) >= 4 && oneEdit(dl, ol):
		return "one letter changed", true
	case du != dl && skeleton(du) == skeleton(ol):
		return "an international name that displays as " + ol, true
	case skeleton(dl) == skeleton(ol):
		return "look-alike characters", true
	case withWords(dl, ol):
		return "the name joined to words of a login page", true
	}
	for _, l := range strings.Split(dsub, ".") {
		if l != "" && (l == ol || skeleton(unicodeLabel(l)) == skeleton(ol)) {
			return "the name as a subdomain of " + dl + "." + dsuf, true
		}
	}
	return "", false
}

// normal lower-cases a domain, drops a trailing dot and turns it into
// A-labels; "" if it is no domain.
func normal(s string) string {
	s = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if a, err := idna.Lookup.ToASCII(s); err == nil {
		s = a
	}
	if !strings.Contains(s, ".") || strings.ContainsAny(s, " /@:") {
		return ""
	}
	return s
}

// split returns the label left of the public suffix, the suffix, and the
// labels left of that ("login.st-mary.fr": "st-mary", "fr", "login"). A
// suffix the list does not know is the last label, as the list's default
// rule says.
func split(d string) (label, suffix, sub string) {
	suffix, _ = publicsuffix.PublicSuffix(d)
	if suffix == d || !strings.HasSuffix(d, "."+suffix) {
		return "", "", ""
	}
	rest := strings.TrimSuffix(d, "."+suffix)
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		return rest[i+1:], suffix, rest[:i]
	}
	return rest, suffix, ""
}

// unicodeLabel is the Unicode form of an A-label ("xn--..."), as a mail
// program displays it; other labels as they are.
func unicodeLabel(l string) string {
	if !strings.HasPrefix(l, "xn--") {
		return l
	}
	u, err := idna.Punycode.ToUnicode(l)
	if err != nil {
		return l
	}
	return u
}

// oneEdit reports whether a and b differ by one insertion, deletion,
// substitution or swap of neighbours (Damerau-Levenshtein distance 1).
func oneEdit(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) > len(y) {
		x, y = y, x
	}
	switch len(y) - len(x) {
	case 0:
		var diff []int
		for i := range x {
			if x[i] != y[i] {
				diff = append(diff, i)
				if len(diff) > 2 {
					return false
				}
			}
		}
		switch len(diff) {
		case 1:
			return true
		case 2:
			i, j := diff[0], diff[1]
			return j == i+1 && x[i] == y[j] && x[j] == y[i]
		}
		return false
	case 1:
		i := 0
		for i < len(x) && x[i] == y[i] {
			i++
		}
		return string(x[i:]) == string(y[i+1:])
	}
	return false
}

// confusables maps characters to the Latin letter they display as: digits,
// Cyrillic and Greek letters (Unicode's confusables, the ones that matter
// in names).
var confusables = map[rune]rune{
	'0': 'o', '1': 'l', '3': 'e', '5': 's', '7': 't', '@': 'a', '$': 's', 'i': 'l', '|': 'l',
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'l', 'ј': 'j',
	'ѕ': 's', 'ԁ': 'd', 'ӏ': 'l', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'ո': 'n', 'ս': 'u',
	'ο': 'o', 'α': 'a', 'ν': 'v', 'ρ': 'p', 'τ': 't', 'ι': 'l', 'κ': 'k', 'χ': 'x', 'υ': 'u',
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e', 'í': 'l',
	'ó': 'o', 'ö': 'o', 'ô': 'o', 'ú': 'u', 'ü': 'u', 'ç': 'c', 'ñ': 'n',
}

// pairs are letter pairs that display as one letter.
var pairs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d", "nn", "m")

// skeleton is what a label looks like: look-alike characters folded to
// one, hyphens dropped (st-mary and stmary read the same).
func skeleton(l string) string {
	var b strings.Builder
	for _, r := range l {
		if c, ok := confusables[r]; ok {
			r = c
		}
		if r != '-' {
			b.WriteRune(r)
		}
	}
	return pairs.Replace(b.String())
}

// loginWords are what a phisher adds to a name to make a login page.
var loginWords = []string{"login", "logon", "signin", "sso", "secure", "security", "portal", "auth", "verify",
	"verification", "account", "accounts", "webmail", "mail", "owa", "vpn", "update", "support", "online",
	"access", "remote", "intranet", "helpdesk", "it", "my", "www", "office", "office365", "m365", "payroll", "hr"}

// withWords reports whether label is own joined to login words only
// ("st-mary-login", "secure-stmary", "stmaryportal").
func withWords(label, own string) bool {
	l, o := strings.ReplaceAll(label, "-", ""), strings.ReplaceAll(own, "-", "")
	i := strings.Index(l, o)
	if i < 0 || l == o {
		return false
	}
	return words(l[:i]) && words(l[i+len(o):])
}

// words reports whether s is made of login words only ("" is).
func words(s string) bool {
	if s == "" {
		return true
	}
	for _, w := range loginWords {
		if strings.HasPrefix(s, w) && words(s[len(w):]) {
			return true
		}
	}
	return false
}
