package mailin

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Security is how a connection to the server is protected.
type Security int

const (
	// ImplicitTLS is TLS from the first byte (imaps://, port 993).
	ImplicitTLS Security = iota
	// StartTLS upgrades a plain connection before login (imap://, port 143).
	StartTLS
	// NoTLS is plain text, allowed only to a loopback host (imap://...?tls=none).
	NoTLS
)

func (s Security) String() string {
	switch s {
	case ImplicitTLS:
		return "tls"
	case StartTLS:
		return "starttls"
	case NoTLS:
		return "none"
	}
	return "Security(" + strconv.Itoa(int(s)) + ")"
}

// Account is a parsed [imap] url: where to connect, how, as whom, and which
// mailbox to read.
type Account struct {
	Security Security
	Host     string // a host name or IP address, without port
	Port     string
	Username string
	Password string
	Mailbox  string // "INBOX" when the url has no path
	// Auth forces a login method: "plain" (AUTHENTICATE PLAIN) or "login"
	// (LOGIN). Empty picks AUTHENTICATE PLAIN when the server offers it.
	Auth string
}

// ParseURL parses an [imap] url of DESIGN.md:
//
//	imaps://user:pass@host[:993]/MAILBOX           implicit TLS
//	imap://user:pass@host[:143]/MAILBOX            STARTTLS
//	imap://user:pass@127.0.0.1:143/MAILBOX?tls=none  plain text, loopback hosts only
//
// The user name may hold a percent-encoded "@" (report%40league.example). The
// optional parameter auth=plain|login forces a login method. Errors say what
// is wrong and never repeat the password.
func ParseURL(raw string) (*Account, error) {
	return parseURL(raw, true)
}

// parseURL is ParseURL; without needPassword the url may carry the user
// name alone, as it does when a token logs in.
func parseURL(raw string, needPassword bool) (*Account, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole url, password included: keep only the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("imap url: %v", err)
	}
	a := &Account{}
	defPort := ""
	switch u.Scheme {
	case "imaps":
		a.Security, defPort = ImplicitTLS, "993"
	case "imap":
		a.Security, defPort = StartTLS, "143"
	case "":
		return nil, errors.New("imap url: no scheme: want imaps://user:pass@host/INBOX or imap://...")
	default:
		return nil, fmt.Errorf("imap url: scheme %q: want imaps (implicit TLS) or imap (STARTTLS)", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, errors.New("imap url: want imaps://user:pass@host/MAILBOX (the // is missing)")
	}
	a.Host = u.Hostname()
	if a.Host == "" {
		return nil, errors.New("imap url: no host")
	}
	a.Port = u.Port()
	if a.Port == "" {
		a.Port = defPort
	} else if n, err := strconv.Atoi(a.Port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("imap url: port %q: want a number from 1 to 65535", a.Port)
	}
	if u.User == nil || u.User.Username() == "" {
		return nil, errors.New("imap url: no user name: want imaps://user:pass@host/INBOX")
	}
	a.Username = u.User.Username()
	pass, ok := u.User.Password()
	if needPassword && (!ok || pass == "") {
		return nil, fmt.Errorf("imap url: no password for user %q", a.Username)
	}
	if !needPassword && ok {
		return nil, fmt.Errorf("imap url: a password for user %q, but the login is by OAuth token: leave it out of the url", a.Username)
	}
	a.Password = pass
	a.Mailbox = strings.TrimPrefix(u.Path, "/")
	if a.Mailbox == "" {
		a.Mailbox = "INBOX"
	}
	if u.Fragment != "" {
		return nil, errors.New("imap url: a #fragment has no meaning here")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("imap url: query: %v", err)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return nil, fmt.Errorf("imap url: parameter %q given %d times", key, len(vals))
		}
		v := vals[0]
		switch key {
		case "tls":
			switch v {
			case "none":
				if a.Security != StartTLS {
					return nil, errors.New("imap url: tls=none needs the imap:// scheme, not imaps://")
				}
				if !isLoopback(a.Host) {
					return nil, fmt.Errorf("imap url: tls=none is allowed only for a loopback host, not %q: use imaps:// or imap:// (STARTTLS)", a.Host)
				}
				a.Security = NoTLS
			case "starttls":
				if a.Security != StartTLS {
					return nil, errors.New("imap url: tls=starttls needs the imap:// scheme")
				}
			default:
				return nil, fmt.Errorf("imap url: tls=%q: want none (loopback only) or starttls", v)
			}
		case "auth":
			switch v {
			case "plain", "login":
				a.Auth = v
			default:
				return nil, fmt.Errorf("imap url: auth=%q: want plain or login", v)
			}
		default:
			return nil, fmt.Errorf("imap url: unknown parameter %q: known ones are tls and auth", key)
		}
	}
	return a, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr is the host:port to dial.
func (a *Account) Addr() string { return net.JoinHostPort(a.Host, a.Port) }

// Name is the stable name of the mailbox that Origin.Mailbox and the Sink's
// checkpoints use: it names user, host and mailbox, and leaves out the port
// and the TLS mode, which may change without changing the mailbox.
func (a *Account) Name() string {
	u := url.URL{Scheme: "imap", User: url.User(a.Username), Host: strings.ToLower(a.Host), Path: "/" + a.Mailbox}
	return u.String()
}

// String is the url without the password, for logs and errors.
func (a *Account) String() string {
	scheme := "imaps"
	if a.Security != ImplicitTLS {
		scheme = "imap"
	}
	u := url.URL{Scheme: scheme, User: url.User(a.Username), Host: a.Addr(), Path: "/" + a.Mailbox}
	if a.Security == NoTLS {
		u.RawQuery = "tls=none"
	}
	return u.String()
}
