// Package indicator finds indicators of compromise in text: URLs, domains,
// IP addresses, e-mail addresses, file hashes and CVE names.
//
// It refangs defanged text (hxxp, [.], [at], "example . com"...), unwraps
// links rewritten by mail filters and trackers (Safe Links, Proofpoint,
// Mimecast, Barracuda, Google, SendGrid...), surfaces the targets of open
// redirects and what links to analysis services name, normalises what it
// finds (lower-case hosts, IDN to A-labels, canonical IPs, numeric hosts
// as dotted quads) and drops what is not an indicator (private,
// documentation, benchmarking and CGNAT addresses, names without a public
// suffix, the league's own domains). It also defangs indicators for mail
// text.
//
// The package is pure: no I/O, no clock.
package indicator

// Type is the kind of an indicator, as named in the parse contract.
type Type string

// The indicator types of DESIGN.md.
const (
	URL    Type = "url"
	Domain Type = "domain"
	IPv4   Type = "ipv4"
	IPv6   Type = "ipv6"
	Email  Type = "email"
	MD5    Type = "md5"
	SHA1   Type = "sha1"
	SHA256 Type = "sha256"
	CVE    Type = "cve"
)

// Indicator is one normalised indicator.
type Indicator struct {
	Type  Type
	Value string
}
