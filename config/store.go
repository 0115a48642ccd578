package config

import (
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

func (c *Config) checkStore() error {
	s := c.Store
	if s.URL != "" && s.Path != "" {
		return c.Errorf("store.url", "set either path (a SQLite file) or url (PostgreSQL), not both")
	}
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return c.Errorf("store.url", "%q: want postgres://user@host/database?sslmode=verify-full", redact(s.URL))
		}
		if strings.TrimPrefix(u.Path, "/") == "" {
			return c.Errorf("store.url", "%q names no database: add /leaguemail (or the database's name)", redact(s.URL))
		}
		if _, has := u.User.Password(); has && s.PasswordFile != "" {
			return c.Errorf("store.password_file", "the url carries a password already: keep one of the two")
		}
	}
	if s.PasswordFile != "" {
		if s.URL == "" {
			return c.Errorf("store.password_file", "is for a PostgreSQL store: set url too")
		}
		if _, err := os.Stat(s.PasswordFile); err != nil {
			return c.Errorf("store.password_file", "%v", err)
		}
	}
	if f := s.Failover.Duration; f != 0 && f < 2*time.Second {
		return c.Errorf("store.failover", "%v is too short: a leader renews its lease several times per failover; want 2s or more", f)
	}
	return nil
}

// Where is the store to open: the SQLite file, or the PostgreSQL URL
// with the password of password_file in it.
func (s Store) Where() (string, error) {
	if s.URL == "" {
		return s.Path, nil
	}
	if s.PasswordFile == "" {
		return s.URL, nil
	}
	b, err := os.ReadFile(s.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("store password: %w", err)
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return "", fmt.Errorf("store url: %w", err)
	}
	name := u.User.Username()
	u.User = url.UserPassword(name, strings.TrimRight(string(b), "\r\n"))
	return u.String(), nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	return u.Redacted()
}
