package warninglists

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"golang.org/x/net/idna"
)

// List is one warninglist as MISP writes it (list.json).
type List struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Version     int      `json:"version"`
	Type        string   `json:"type"`
	List        []string `json:"list"`
	// MatchingAttributes are MISP attribute types (domain, url, ip-src,
	// email-src, md5...); see kindsOf for how they map onto ours.
	MatchingAttributes []string `json:"matching_attributes"`
}

// kind is a bit set of the indicator types a list applies to.
type kind uint8

const (
	kDomain kind = 1 << iota
	kURL
	kIP
	kEmail
	kHash
	kCVE
)

// kindOf maps an indicator type of the parse contract to its kind.
func kindOf(typ string) kind {
	switch typ {
	case "domain":
		return kDomain
	case "url":
		return kURL
	case "ipv4", "ipv6":
		return kIP
	case "email":
		return kEmail
	case "md5", "sha1", "sha256":
		return kHash
	case "cve":
		return kCVE
	}
	return 0
}

// kindsOf maps MISP attribute types onto our indicator types. A list that
// names none MISP knows as ours applies to nothing. When a list gives no
// matching_attributes at all, MISP applies it to every attribute: so do we.
func kindsOf(attrs []string) kind {
	if len(attrs) == 0 {
		return kDomain | kURL | kIP | kEmail | kHash | kCVE
	}
	var k kind
	for _, a := range attrs {
		for _, part := range strings.Split(strings.ToLower(a), "|") {
			switch part {
			case "domain", "hostname":
				k |= kDomain
			case "url", "uri", "link":
				k |= kURL
			case "ip-src", "ip-dst", "ip":
				k |= kIP
			case "email", "email-src", "email-dst", "email-reply-to", "target-email", "whois-registrant-email":
				k |= kEmail
			case "md5", "sha1", "sha256":
				k |= kHash
			case "vulnerability":
				k |= kCVE
			}
		}
	}
	return k
}

// decode reads one list.json and checks what the schema requires.
func decode(data []byte) (*List, error) {
	var l List
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, err
	}
	if strings.TrimSpace(l.Name) == "" {
		return nil, fmt.Errorf("no name")
	}
	switch l.Type {
	case "string", "hostname", "cidr", "substring", "regex":
	default:
		return nil, fmt.Errorf("list %q: type %q is none of string, hostname, cidr, substring, regex", l.Name, l.Type)
	}
	return &l, nil
}

// hostKey brings a host-name entry to the form the parser's domain
// indicators take: lower case, A-label, no leading "*." or dot, no
// trailing dot. It reports whether the entry covers the names below it:
// every hostname entry does, and a string entry does when written
// ".example.com", as MISP's lists of providers' domains write them.
func hostKey(entry string, hostname bool) (string, bool) {
	e := strings.ToLower(strings.TrimSpace(entry))
	sub := hostname
	if strings.HasPrefix(e, "*.") {
		e, sub = e[2:], true
	} else if strings.HasPrefix(e, ".") {
		e, sub = e[1:], true
	}
	e = strings.TrimSuffix(e, ".")
	if a, err := idna.Lookup.ToASCII(e); err == nil {
		e = a
	}
	return e, sub
}

// prefixOf reads a cidr entry: a prefix, or a single address.
func prefixOf(entry string) (netip.Prefix, bool) {
	e := strings.TrimSpace(entry)
	if p, err := netip.ParsePrefix(e); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(e); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// regexOf compiles a regex entry. MISP writes PCRE between delimiters with
// flags ("/^foo\.example$/i"); Go's RE2 runs in linear time, and an entry
// it cannot read (backreferences, look-arounds) is reported, not guessed.
func regexOf(entry string) (*regexp.Regexp, error) {
	e := strings.TrimSpace(entry)
	if len(e) >= 2 && e[0] == '/' {
		if end := strings.LastIndexByte(e, '/'); end > 0 {
			flags := e[end+1:]
			e = e[1:end]
			if strings.ContainsRune(flags, 'i') {
				e = "(?i)" + e
			}
		}
	}
	return regexp.Compile(e)
}
