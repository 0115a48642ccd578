package export

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// The names a Scheduler writes in its folder.
const (
	STIXFile = "feeds.stix.json"
	CSVFile  = "feeds.csv"
	MISPDir  = "misp"
)

// DefaultInterval is how often a Scheduler rewrites the feeds when its
// Interval is zero.
const DefaultInterval = 15 * time.Minute

// Scheduler keeps the three feeds in a folder up to date: STIXFile,
// CSVFile and the MISP feed in MISPDir, each replaced atomically, and
// only when its content changed, so that its Last-Modified and ETag say
// when the data last changed.
type Scheduler struct {
	Interval time.Duration
	Dir      string
	// Load returns every ticket with its indicators; Options decide what
	// of it is published.
	Load    func(ctx context.Context) ([]Ticket, error)
	Options Options
	// Logger gets a line when writing the feeds fails; slog.Default() if
	// nil.
	Logger *slog.Logger
}

// Run writes the feeds now and then every Interval until ctx is done,
// then returns nil. A failed round is logged and the next one tried: the
// feeds of the last good round stay in place.
func (s *Scheduler) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := s.Write(ctx); err != nil && ctx.Err() == nil {
			s.logger().Error("writing feeds failed; the previous feeds stay", "dir", s.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Write writes the feeds once.
func (s *Scheduler) Write(ctx context.Context) error {
	ts, err := s.Load(ctx)
	if err != nil {
		return fmt.Errorf("load tickets for the feeds: %w", err)
	}
	stix, err := stixBundle(ts, s.Options)
	if err != nil {
		return err
	}
	csv, err := csvBytes(ts, s.Options)
	if err != nil {
		return err
	}
	misp, err := mispFiles(ts, s.Options)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, dirPerm); err != nil {
		return fmt.Errorf("feeds folder: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{STIXFile, stix}, {CSVFile, csv}} {
		p := filepath.Join(s.Dir, f.name)
		if sameFile(p, f.data) {
			continue
		}
		if err := writeFile(p, f.data); err != nil {
			return err
		}
	}
	if p := filepath.Join(s.Dir, MISPDir); !sameDir(p, misp) {
		return replaceDir(p, misp)
	}
	return nil
}

func (s *Scheduler) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
