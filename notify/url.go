package notify

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
)

// Security is how the connection to the submission server is protected.
type Security int

const (
	// StartTLS upgrades a plain connection before AUTH (smtp://, port 587).
	StartTLS Security = iota
	// ImplicitTLS is TLS from the first byte (smtps://, port 465).
	ImplicitTLS
	// NoTLS is plain text, allowed only to a loopback host (?tls=none).
	NoTLS
)

func (s Security) String() string {
	switch s {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "tls"
	case NoTLS:
		return "none"
	}
	return "Security(" + strconv.Itoa(int(s)) + ")"
}

// Server is a parsed [smtp] url.
type Server struct {
	Security Security
	Host     string // without port
	Port     string
	Username string // "" for no AUTH
	Password string
}

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, s.Port) }

// ParseURL parses an [smtp] url of DESIGN.md:
//
//	smtp://user:pass@host[:587]             STARTTLS, then AUTH PLAIN
//	smtps://user:pass@host[:465]            implicit TLS, then AUTH PLAIN
//	smtp://127.0.0.1:25?tls=none            plain text, loopback hosts only
//
// The user name may hold a percent-encoded "@"; without user and password
// no AUTH is done. Errors never repeat the password.
func ParseURL(raw string) (*Server, error) {
	return parseURL(raw, true)
}

// parseURL is ParseURL; without withPassword the url carries the user name
// alone, as it does when a token logs in.
func parseURL(raw string, withPassword bool) (*Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the url, password included
		}
		return nil, fmt.Errorf("smtp url: %v", err)
	}
	s := &Server{}
	defPort := ""
	switch u.Scheme {
	case "smtp":
		s.Security, defPort = StartTLS, "587"
	case "smtps":
		s.Security, defPort = ImplicitTLS, "465"
	case "":
		return nil, errors.New("smtp url: no scheme: want smtp://user:pass@host:587 or smtps://...")
	default:
		return nil, fmt.Errorf("smtp url: scheme %q: want smtp (STARTTLS) or smtps (implicit TLS)", u.Scheme)
	}
	if u.Opaque != "" {
		return nil, errors.New("smtp url: want smtp://user:pass@host:587 (the // is missing)")
	}
	if s.Host = u.Hostname(); s.Host == "" {
		return nil, errors.New("smtp url: no host")
	}
	if s.Port = u.Port(); s.Port == "" {
		s.Port = defPort
	} else if n, err := strconv.Atoi(s.Port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("smtp url: port %q: want a number from 1 to 65535", s.Port)
	}
	if u.User != nil {
		s.Username = u.User.Username()
		var hasPassword bool
		s.Password, hasPassword = u.User.Password()
		switch {
		case !withPassword && hasPassword:
			return nil, fmt.Errorf("smtp url: a password for user %q, but the login is by OAuth token: leave it out of the url", s.Username)
		case !withPassword && s.Username == "":
			return nil, errors.New("smtp url: no user name: a token login needs smtp://user@host:587")
		case withPassword && (s.Username == "" || s.Password == ""):
			return nil, errors.New("smtp url: give both user name and password, or neither")
		}
	} else if !withPassword {
		return nil, errors.New("smtp url: no user name: a token login needs smtp://user@host:587")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("smtp url: path %q has no meaning here", u.Path)
	}
	if u.Fragment != "" {
		return nil, errors.New("smtp url: a #fragment has no meaning here")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("smtp url: query: %v", err)
	}
	for key, vals := range q {
		if len(vals) != 1 {
			return nil, fmt.Errorf("smtp url: parameter %q given %d times", key, len(vals))
		}
		switch key {
		case "tls":
			if vals[0] != "none" {
				return nil, fmt.Errorf("smtp url: tls=%q: the only value is none", vals[0])
			}
			if s.Security == ImplicitTLS {
				return nil, errors.New("smtp url: smtps:// with tls=none: pick one")
			}
			if !loopback(s.Host) {
				return nil, fmt.Errorf("smtp url: tls=none is allowed for loopback hosts only, not %q", s.Host)
			}
			s.Security = NoTLS
		default:
			return nil, fmt.Errorf("smtp url: unknown parameter %q", key)
		}
	}
	return s, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
