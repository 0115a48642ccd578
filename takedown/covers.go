package takedown

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// Covers is what an abuse contact of ours answers for (the contacts'
// column covers): domains (and their subdomains), address ranges and AS
// numbers. It wins over RDAP for what it covers: a hoster that asked to
// be written to at a ticketing address, a CERT that takes down for its
// ccTLD.
type Covers struct {
	Domains  []string
	Prefixes []netip.Prefix
	ASNs     []uint32
}

// ParseCovers reads a covers column: space-separated domains, CIDRs (a
// bare address is a /32 or /128) and AS numbers ("AS64500").
func ParseCovers(s string) (Covers, error) {
	var c Covers
	for _, f := range strings.Fields(s) {
		switch {
		case len(f) > 2 && strings.EqualFold(f[:2], "AS") && isDigits(f[2:]):
			n, err := strconv.ParseUint(f[2:], 10, 32)
			if err != nil {
				return Covers{}, fmt.Errorf("covers: %q is not an AS number", f)
			}
			c.ASNs = append(c.ASNs, uint32(n))
		case strings.Contains(f, "/"):
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return Covers{}, fmt.Errorf("covers: %q is not a CIDR range: %v", f, err)
			}
			c.Prefixes = append(c.Prefixes, p.Masked())
		default:
			if a, err := netip.ParseAddr(f); err == nil {
				c.Prefixes = append(c.Prefixes, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
			d := strings.ToLower(strings.Trim(f, "."))
			if !strings.Contains(d, ".") || strings.ContainsAny(d, "@:*") {
				return Covers{}, fmt.Errorf("covers: %q is neither a domain, a CIDR range nor an AS number", f)
			}
			c.Domains = append(c.Domains, d)
		}
	}
	return c, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// override is an abuse contact with what it covers.
type override struct {
	contact store.Contact
	covers  Covers
}

// overrides reads the abuse contacts; a covers column that does not
// parse was refused by contacts import, so one here is skipped.
func overrides(cs []store.Contact) []override {
	var out []override
	for _, c := range cs {
		if c.Kind != "abuse" {
			continue
		}
		cv, err := ParseCovers(c.Covers)
		if err != nil {
			continue
		}
		out = append(out, override{contact: c, covers: cv})
	}
	return out
}

// forDomain returns the abuse contact covering host, the most specific
// domain first.
func forDomain(os []override, host string) *store.Contact {
	var best *store.Contact
	bestLen := 0
	for i := range os {
		for _, d := range os[i].covers.Domains {
			if (host == d || strings.HasSuffix(host, "."+d)) && len(d) > bestLen {
				best, bestLen = &os[i].contact, len(d)
			}
		}
	}
	return best
}

// forIP returns the abuse contact covering ip by range (the narrowest
// first), or else by one of the ASNs that announce it.
func forIP(os []override, ip net.IP, asns []uint32) *store.Contact {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return nil
	}
	a = a.Unmap()
	var best *store.Contact
	bestBits := -1
	for i := range os {
		for _, p := range os[i].covers.Prefixes {
			if p.Contains(a) && p.Bits() > bestBits {
				best, bestBits = &os[i].contact, p.Bits()
			}
		}
	}
	if best != nil {
		return best
	}
	for i := range os {
		for _, n := range os[i].covers.ASNs {
			for _, m := range asns {
				if n == m {
					return &os[i].contact
				}
			}
		}
	}
	return nil
}
