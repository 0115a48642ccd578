package notify

import (
	"context"
	"fmt"

	"github.com/hospital-league/leaguemail/templates"
)

// Check opens a session with the submission server, authenticates as the
// url says and quits, sending nothing: `leaguemail check-config` uses it
// to say whether the [smtp] settings work before the gateway relies on them.
func (s *Sender) Check(ctx context.Context) error {
	c, err := s.connect(ctx)
	if err != nil {
		return err
	}
	if err := c.Quit(); err != nil {
		c.Close()
		return fmt.Errorf("quit: %w", err)
	}
	return nil
}

// Reload reads the templates again from the configured folder (SIGHUP):
// a mistake in an edited template keeps the set in use and is returned.
func (s *Sender) Reload() error {
	t, err := templates.Load(s.cfg.TemplatesDir)
	if err != nil {
		return fmt.Errorf("reload templates: %w", err)
	}
	s.tmplMu.Lock()
	s.tmpl = t
	s.tmplMu.Unlock()
	return nil
}

func (s *Sender) templates() *templates.Set {
	s.tmplMu.RLock()
	defer s.tmplMu.RUnlock()
	return s.tmpl
}
