package export

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

func TestSchedulerWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feeds")
	tickets := sample()
	s := &Scheduler{Dir: dir, Load: func(context.Context) ([]Ticket, error) { return tickets, nil }}
	ctx := context.Background()
	if err := s.Write(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{STIXFile, CSVFile, filepath.Join(MISPDir, "manifest.json"), filepath.Join(MISPDir, "hashes.csv")} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Unchanged data: the files are left alone, times included.
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, name := range []string{STIXFile, CSVFile, MISPDir} {
		os.Chtimes(filepath.Join(dir, name), old, old)
	}
	if err := s.Write(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{STIXFile, CSVFile, MISPDir} {
		if fi, _ := os.Stat(filepath.Join(dir, name)); !fi.ModTime().Equal(old) {
			t.Errorf("%s rewritten with the same data", name)
		}
	}
	// New data: all three change.
	tickets = append(tickets, Ticket{Number: 8, Created: t2, Updated: t2, TLP: "green", State: "new",
		Indicators: []Indicator{v("domain", "fresh.example", t2, t2)}})
	if err := s.Write(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{STIXFile, CSVFile, MISPDir} {
		if fi, _ := os.Stat(filepath.Join(dir, name)); fi.ModTime().Equal(old) {
			t.Errorf("%s not rewritten with new data", name)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("feeds folder holds %d entries, want 3", len(ents))
	}
}

func TestSchedulerRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feeds")
	var calls atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	s := &Scheduler{Dir: dir, Interval: 5 * time.Millisecond, Logger: slog.New(slog.DiscardHandler), Load: func(context.Context) ([]Ticket, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("database is locked") // logged; the next round is tried
		}
		if calls.Load() >= 3 {
			cancel()
		}
		return sample(), nil
	}}
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if _, err := os.Stat(filepath.Join(dir, STIXFile)); err != nil {
		t.Errorf("no feed after a failed round: %v", err)
	}
}
