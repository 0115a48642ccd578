package indicator

import "net/netip"

// parseIPv4 parses a dotted quad of decimal numbers. Unlike netip it takes
// leading zeros ("010.001.001.001"), which reports copy from logs, as
// decimal: analysts write them that way, and no mail client reads octal.
func parseIPv4(b []byte) (netip.Addr, bool) {
	var q [4]byte
	part, digits, v := 0, 0, 0
	for _, c := range b {
		switch {
		case isDigit(c):
			digits++
			v = v*10 + int(c-'0')
			if digits > 3 || v > 255 {
				return netip.Addr{}, false
			}
		case c == '.' && digits > 0 && part < 3:
			q[part] = byte(v)
			part++
			digits, v = 0, 0
		default:
			return netip.Addr{}, false
		}
	}
	if part != 3 || digits == 0 {
		return netip.Addr{}, false
	}
	q[3] = byte(v)
	return netip.AddrFrom4(q), true
}

// maybeIPv6 is a cheap test, run before netip.ParseAddr, that b has the
// shape of an RFC 4291 section 2.2 address: at least two colons, and either
// "::", eight groups, or six groups and a dotted quad. Clock times (12:30:45)
// and MAC addresses (00:1a:2b:3c:4d:5e) fail it without an allocation.
func maybeIPv6(b []byte) bool {
	colons, dots, double := 0, 0, false
	for i, c := range b {
		switch c {
		case ':':
			colons++
			if i > 0 && b[i-1] == ':' {
				double = true
			}
		case '.':
			dots++
		}
	}
	if colons < 2 || colons > 7 {
		return false
	}
	return double || colons == 7 || colons == 6 && dots == 3
}

// parseIP parses an address in either family, with the leniency of
// parseIPv4 for IPv4. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is the
// IPv4 address it maps.
func parseIP(b []byte) (netip.Addr, bool) {
	if a, ok := parseIPv4(b); ok {
		return a, true
	}
	if !maybeIPv6(b) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// publicIP reports whether a can be an indicator. DESIGN.md excludes
// private, loopback, link-local, multicast and unspecified addresses. The
// "this network" block 0.0.0.0/8 (RFC 1122 section 3.2.1.3) and the limited
// broadcast address are unspecified in the same sense, and the IPv6 block
// ::/8 (RFC 4291 section 2.4) holds only the unspecified, loopback and
// IPv4-embedding addresses, so these go too. So do the ranges no mail
// from the Internet can come from: documentation (RFC 5737, RFC 3849),
// benchmarking (RFC 2544) and carrier-grade NAT (RFC 6598); a CERT
// blocking them blocks nothing or its own carrier's customers.
func publicIP(a netip.Addr) bool {
	if !a.IsValid() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() ||
		a.IsUnspecified() {
		return false
	}
	for _, p := range unroutable {
		if p.Contains(a) {
			return false
		}
	}
	if a.Is4() {
		q := a.As4()
		return q[0] != 0 && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	return a.As16()[0] != 0
}

var unroutable = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),    // RFC 5737 TEST-NET-1
	netip.MustParsePrefix("198.51.100.0/24"), // RFC 5737 TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // RFC 5737 TEST-NET-3
	netip.MustParsePrefix("198.18.0.0/15"),   // RFC 2544 benchmarking
	netip.MustParsePrefix("100.64.0.0/10"),   // RFC 6598 shared address space
	netip.MustParsePrefix("2001:db8::/32"),   // RFC 3849 documentation
}

// ipIndicator returns the indicator for a, if a is public.
func ipIndicator(a netip.Addr) (Indicator, bool) {
	if !publicIP(a) {
		return Indicator{}, false
	}
	if a.Is4() {
		return Indicator{Type: IPv4, Value: a.String()}, true
	}
	return Indicator{Type: IPv6, Value: a.String()}, true
}
