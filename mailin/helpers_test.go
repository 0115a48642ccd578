package mailin

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// logRecorder is a slog.Handler that counts records by message and passes
// those at or above level to the test's log.
type logRecorder struct {
	t     testing.TB
	level slog.Level
	mu    *sync.Mutex
	msgs  map[string]int
	attrs []slog.Attr
}

func newLogRecorder(t testing.TB) *logRecorder {
	return &logRecorder{t: t, level: slog.LevelInfo, mu: new(sync.Mutex), msgs: map[string]int{}}
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.msgs[r.Message]++
	h.mu.Unlock()
	if r.Level < h.level {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		return true
	})
	h.t.Log(b.String())
	return nil
}

func (h *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *logRecorder) WithGroup(string) slog.Handler { return h }

// count returns how many records had a message containing s.
func (h *logRecorder) count(s string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for m, c := range h.msgs {
		if strings.Contains(m, s) {
			n += c
		}
	}
	return n
}

// running runs an intake until the returned stop is called (or the test ends).
func running(t testing.TB, in *Intake) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("Run did not return within 10s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fastConfig is a config that retries quickly, for tests.
func fastConfig(url string, log *slog.Logger) Config {
	return Config{
		URL:          url,
		RetryMin:     50 * time.Millisecond,
		RetryMax:     500 * time.Millisecond,
		Timeout:      10 * time.Second,
		PollInterval: 100 * time.Millisecond,
		BatchSize:    50,
		Logger:       log,
	}
}

func mustNew(t testing.TB, cfg Config, sink Sink) *Intake {
	t.Helper()
	in, err := New(cfg, sink)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return in
}
