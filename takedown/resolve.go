package takedown

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Resolver resolves a host's A and AAAA records. *net.Resolver is one;
// tests inject their own.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// NewResolver returns the system resolver, or, with server set
// ("127.0.0.1:53", "[::1]:5353"), Go's resolver asking that server only.
func NewResolver(server string) (Resolver, error) {
	if server == "" {
		return net.DefaultResolver, nil
	}
	if _, _, err := net.SplitHostPort(server); err != nil {
		return nil, fmt.Errorf("resolver %q: want host:port: %w", server, err)
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: 5 * time.Second}
			return d.DialContext(ctx, network, server)
		},
	}, nil
}

// hostingIPs resolves host and keeps the addresses a hoster may hold:
// a phishing domain pointed at 127.0.0.1 or 10.0.0.1 has no hoster to
// write to.
func hostingIPs(ctx context.Context, r Resolver, host string) ([]net.IP, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	addrs, err := r.LookupIPAddr(ctx, host)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []net.IP
	for _, a := range addrs {
		if public(a.IP) {
			out = append(out, a.IP)
		}
		if len(out) == 8 {
			break
		}
	}
	return out, nil
}

func public(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast())
}
