package config

import (
	"net"
	"net/url"
	"strings"
)

// checkTakedown checks the [takedown] keys' shapes. Plain http is for
// loopback hosts only (tests), as everywhere else.
func (c *Config) checkTakedown() error {
	t := c.Takedown
	if b := t.RDAPBootstrap; strings.Contains(b, "://") {
		u, err := url.Parse(b)
		if err != nil || u.Host == "" {
			return c.Errorf("takedown.rdap_bootstrap", "%q is not a URL nor a folder", b)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
			return c.Errorf("takedown.rdap_bootstrap", "%q: want https (plain http only for loopback hosts), or a folder", b)
		}
	}
	if r := t.Resolver; r != "" {
		if _, _, err := net.SplitHostPort(r); err != nil {
			return c.Errorf("takedown.resolver", "%q: want host:port of a DNS server, like 127.0.0.1:53", r)
		}
	}
	if p := t.CheckProxy; p != "" {
		u, err := url.Parse(p)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") {
			return c.Errorf("takedown.check_proxy", "%q: want http://host:port, https://host:port or socks5://host:port", p)
		}
	}
	if lo, hi := t.CheckInterval.Duration, t.CheckMax.Duration; lo > 0 && hi > 0 && hi < lo {
		return c.Errorf("takedown.check_max", "%v is below check_interval %v", hi, lo)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
