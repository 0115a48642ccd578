package parser

import (
	"net/netip"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// firstExternalHop returns the index, in the Received fields of a mail
// (topmost first, RFC 5321 section 4.4), of the hop where the mail came
// into its recipient's systems from outside: the relay the attacker's
// mail was handed over by, recorded by a server the recipient trusts.
// Hops above it are the recipient's own relays (Office 365 passing the
// mail between its own hosts), hops below it were written by the sender's
// side and may be forged: both are context, not indicators. It returns
// -1 when no hop came from outside.
func firstExternalHop(hops []string) int {
	org := ""
	for i, v := range hops {
		by := receivedBy(v)
		if org == "" {
			org = registrable(by)
		}
		from := receivedFrom(v)
		if len(from) == 0 {
			continue // "by 2002:a05:... with SMTP id": a hand-over inside a host
		}
		public, named := false, ""
		for _, tok := range from {
			if a, err := netip.ParseAddr(tok); err == nil {
				a = a.Unmap()
				if !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() && !a.IsUnspecified() {
					public = true
				}
				continue
			}
			if named == "" {
				named = registrable(tok)
			}
		}
		if !public && named == "" {
			continue // from a private address: an internal hop
		}
		if named != "" && (named == registrable(by) || named == org) {
			continue // between hosts of one organisation
		}
		return i
	}
	return -1
}

// receivedBy returns the host of the "by" clause of a Received field.
func receivedBy(v string) string {
	v = strings.ToLower(headerText(v))
	i := strings.Index(v, "by ")
	if i > 0 && v[i-1] != ' ' && v[i-1] != ')' {
		i = strings.Index(v, " by ")
		if i >= 0 {
			i++
		}
	}
	if i < 0 {
		return ""
	}
	f := strings.Fields(v[i+3:])
	if len(f) == 0 {
		return ""
	}
	return strings.Trim(f[0], ".;()[]")
}

// registrable returns the registrable domain of a host name (public
// suffix plus one label, the PSL's private section included), or "".
func registrable(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.Contains(host, ".") {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if ps, icann := publicsuffix.PublicSuffix(host); !icann && !strings.Contains(ps, ".") {
		// Matched only by the PSL's default rule ("mx.internal"): a
		// local name, no organisation to compare.
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return ""
	}
	return d
}
