package config

import (
	"net/url"
	"strings"
)

// checkPublicURL checks http.public_url: an https URL with no query or
// fragment (RFC 8058 section 3.1 wants the one-click link to be https),
// given with a listener to serve it.
func (c *Config) checkPublicURL() error {
	p := c.HTTP.PublicURL
	if p == "" {
		return nil
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(p, " <>,") {
		return c.Errorf("http.public_url", "%q: want an https URL like \"https://alerts.league.example\", without query", p)
	}
	if c.HTTP.Listen == "" {
		return c.Errorf("http.public_url", "set, but http.listen is not: the one-click unsubscribe links need the listener")
	}
	return nil
}

// UnsubscribeURL is the base of the one-click unsubscribe links, "" when
// no public URL is set.
func (c *Config) UnsubscribeURL() string {
	if c.HTTP.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(c.HTTP.PublicURL, "/") + "/unsubscribe/"
}
