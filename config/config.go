// Package config implements the reading of leaguemail's configuration: a
// TOML file, every key of which an environment variable can set instead
// (LEAGUEMAIL_ + section + key, upper-cased: LEAGUEMAIL_IMAP_URL).
//
// A mistake names the file, the line and the key, and what is wrong with
// it; the gateway does not start on one. Values are checked for their
// shape here (a duration, an address, a list); whether a URL reaches a
// server is for `leaguemail check-config`.
package config

import (
	"strings"
	"time"
)

// Config is the whole configuration. Field tags name the TOML keys.
type Config struct {
	League    League    `toml:"league"`
	IMAP      IMAP      `toml:"imap"`
	SMTP      SMTP      `toml:"smtp"`
	Store     Store     `toml:"store"`
	Triage    Triage    `toml:"triage"`
	Templates Templates `toml:"templates"`
	HTTP      HTTP      `toml:"http"`
	Log       Log       `toml:"log"`
	Export    Export    `toml:"export"`
	Crypto    Crypto    `toml:"crypto"`
	Takedown  Takedown  `toml:"takedown"`
	OAuth     OAuth     `toml:"oauth"`
	Parser    Parser    `toml:"parser"`
	SLA       SLA       `toml:"sla"`
	TAXII     TAXII     `toml:"taxii"`

	// file is where the config was read from, lines where each key stands
	// in it, and fromEnv the keys an environment variable set: errors
	// found after loading say where the bad value came from.
	file    string
	lines   map[string]int
	fromEnv map[string]bool
}

// League is who the gateway speaks for.
type League struct {
	// Address is the contact address: the From of every mail we send.
	Address string `toml:"address"`
	// Name is the display name of that address.
	Name string `toml:"name"`
	// Domains are our own domains: never indicators, never answered.
	Domains []string `toml:"domains"`
	// Secret keys the HMAC of reply tokens.
	Secret string `toml:"secret"`
	// Lang is the language (BCP 47, "fr") of mail to recipients whose
	// contact has no lang of its own; English when empty.
	Lang string `toml:"lang"`
}

// IMAP is the intake. URL is the contact mailbox; Mailboxes adds others
// (an abuse@ alias), each read by its own goroutine.
type IMAP struct {
	URL          string   `toml:"url"`
	Processed    string   `toml:"processed"`
	Failed       string   `toml:"failed"`
	CAFile       string   `toml:"ca_file"`
	PollInterval Duration `toml:"poll_interval"`
	IdleRestart  Duration `toml:"idle_restart"`
	// BatchBytes bounds the bytes of mail one FETCH asks for (64 MiB when
	// unset); a mail larger than it is fetched alone.
	BatchBytes ByteSize  `toml:"batch_bytes"`
	Mailboxes  []Mailbox `toml:"mailboxes"`
	// Auth is how every mailbox logs in: password (the url's, the
	// default), xoauth2 or oauthbearer with a token of [oauth]; then the
	// url carries the user name only.
	Auth string `toml:"auth"`
}

// Mailbox is one more mailbox to read.
type Mailbox struct {
	URL       string `toml:"url"`
	Processed string `toml:"processed"`
	Failed    string `toml:"failed"`
}

// SMTP is where outgoing mail is submitted.
type SMTP struct {
	URL    string `toml:"url"`
	CAFile string `toml:"ca_file"`
	// Helo is the name given in EHLO (the host name when empty).
	Helo string `toml:"helo"`
	// DKIM signs outgoing mail when KeyFile is set.
	DKIMDomain   string `toml:"dkim_domain"`
	DKIMSelector string `toml:"dkim_selector"`
	DKIMKeyFile  string `toml:"dkim_key_file"`
	// RetryMin and RetryMax bound the wait before a mail the server put
	// off (4xx, network) is tried again; it doubles each attempt, from
	// RetryMin up to RetryMax (1 minute and 1 hour when unset, as MTAs do).
	RetryMin Duration `toml:"retry_min"`
	RetryMax Duration `toml:"retry_max"`
	// Auth is how the sender logs in: password (the url's, the default),
	// xoauth2 or oauthbearer with a token of [oauth].
	Auth string `toml:"auth"`
}

// Store is where the gateway keeps its state: a SQLite file (path, the
// default) or a PostgreSQL database (url) that several gateways share.
type Store struct {
	Path string `toml:"path"`
	// URL is a PostgreSQL store, postgres://user@host/db?sslmode=verify-full;
	// set instead of Path.
	URL string `toml:"url"`
	// PasswordFile holds the PostgreSQL password (the URL may carry it too).
	PasswordFile string `toml:"password_file"`
	// Failover is how soon a standby gateway takes over the intake and the
	// timers once the leader is gone (15 s when unset).
	Failover Duration `toml:"failover"`
	// Retention is how long raw mail is kept before `purge` may drop it.
	Retention Duration `toml:"retention"`
}

// Triage says who may act on tickets and how much the gateway answers.
type Triage struct {
	Triagers []string `toml:"triagers"`
	// AuthservID is the authserv-id of the Authentication-Results header
	// that our own MTA adds; only that one is trusted.
	AuthservID string `toml:"authserv_id"`
	// AcksPerHour bounds acknowledgements to one sender address.
	AcksPerHour int `toml:"acks_per_hour"`
	// AckUnauthenticated acknowledges reports whose sender our MTA could
	// not authenticate (false: RFC 3834 section 4, no backscatter).
	AckUnauthenticated bool `toml:"ack_unauthenticated"`
	// AutoMailsPerHour bounds all automatic mail together (200).
	AutoMailsPerHour int `toml:"auto_mails_per_hour"`
	// TokenTTL is how long after its ticket closed a reply token still
	// authenticates (30 days).
	TokenTTL Duration `toml:"token_ttl"`
}

// Templates overrides the embedded mail templates from a folder.
type Templates struct {
	Dir string `toml:"dir"`
}

// HTTP is the optional listener for /healthz, /metrics and /feeds.
type HTTP struct {
	Listen string `toml:"listen"`
	// PublicURL is where the listener is reached from outside, by https
	// ("https://alerts.league.example"): area alerts carry a one-click
	// unsubscribe link under it (RFC 8058). Empty: only the mailto one.
	PublicURL string `toml:"public_url"`
	// TLSCert and TLSKey (PEM files) make the listener serve HTTPS itself.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
}

// TAXII is the TAXII 2.1 server on the listener (package taxii).
type TAXII struct {
	// Public lets anyone read the public collection without a key.
	Public bool `toml:"public"`
	// RatePerSecond and Burst bound each key's requests (and each
	// address's without a key): 2 per second, bursts of 60, when unset.
	RatePerSecond float64 `toml:"rate_per_second"`
	Burst         int     `toml:"burst"`
}

// Log says how logs are written.
type Log struct {
	// Format is "text" or "json"; text when empty.
	Format string `toml:"format"`
	// Level is debug, info, warn or error; info when empty.
	Level string `toml:"level"`
}

// Export writes the feeds on a schedule when Dir is set.
type Export struct {
	Dir      string   `toml:"dir"`
	Interval Duration `toml:"interval"`
	TLPMax   string   `toml:"tlp_max"`
}

// Parser tunes what the parser takes for an indicator.
type Parser struct {
	// Warninglists is a checkout of MISP's misp-warninglists (its lists
	// folder): values on them are kept as context, not indicators. When
	// empty, the lists embedded in the binary serve.
	Warninglists string `toml:"warninglists"`
}

// Takedown is the takedown loop (#takedown): where RDAP servers are
// found, how hosts are resolved, how the URLs are checked.
type Takedown struct {
	// RDAPBootstrap is a folder holding IANA's RDAP bootstrap files
	// (dns.json, ipv4.json, ipv6.json, asn.json), or an https base to
	// fetch them from (IANA's when empty), kept for a day.
	RDAPBootstrap string `toml:"rdap_bootstrap"`
	// Resolve looks up the A and AAAA records of a host to write to its
	// hosters; Resolver ("host:port") asks that DNS server, not the
	// system's.
	Resolve  bool   `toml:"resolve"`
	Resolver string `toml:"resolver"`
	// CheckInterval is the first wait between checks of a URL (1h),
	// doubling up to CheckMax (1 day); WatchFor ends them (30 days).
	CheckInterval Duration `toml:"check_interval"`
	CheckMax      Duration `toml:"check_max"`
	WatchFor      Duration `toml:"watch_for"`
	// CheckProxy sends the checks through an HTTP proxy (or socks5://):
	// a phishing kit logs its visitors and must not see the league's
	// address.
	CheckProxy   string   `toml:"check_proxy"`
	CheckTimeout Duration `toml:"check_timeout"`
}

// Duration is a time.Duration written as TOML text: "90s", "5m", "180d".
type Duration struct{ time.Duration }

// OAuth says where the access tokens of [imap] auth and [smtp] auth =
// "xoauth2" or "oauthbearer" come from (package oauth).
type OAuth struct {
	// Provider ("microsoft" with Tenant, or "google") fills in the
	// endpoints and the scope.
	Provider string `toml:"provider"`
	Tenant   string `toml:"tenant"`
	// Flow is client_credentials, refresh_token or command.
	Flow      string `toml:"flow"`
	TokenURL  string `toml:"token_url"`
	DeviceURL string `toml:"device_url"`
	// AuthURL is the authorization endpoint of the browser sign-in.
	AuthURL  string `toml:"auth_url"`
	ClientID string `toml:"client_id"`
	// ClientSecret, or the file that holds it.
	ClientSecret     string `toml:"client_secret"`
	ClientSecretFile string `toml:"client_secret_file"`
	// Scope is space-separated, as OAuth writes it.
	Scope string `toml:"scope"`
	// RefreshTokenFile holds the refresh token; `leaguemail oauth login`
	// writes it, and a rotated one is written back.
	RefreshTokenFile string `toml:"refresh_token_file"`
	// Command prints an access token (flow = "command").
	Command string `toml:"command"`
}

// UsesOAuth says whether a login needs [oauth].
func (c *Config) UsesOAuth() bool {
	return isOAuth(c.IMAP.Auth) || isOAuth(c.SMTP.Auth)
}

func isOAuth(auth string) bool {
	a := strings.ToLower(auth)
	return a == "xoauth2" || a == "oauthbearer"
}
