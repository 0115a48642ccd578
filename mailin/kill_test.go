package mailin

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

// The test binary doubles as a gateway process for TestDovecotKill: with
// MAILIN_HELPER_SINK set, it runs the intake into a file sink until SIGTERM.
func TestMain(m *testing.M) {
	if path := os.Getenv("MAILIN_HELPER_STORE"); path != "" {
		os.Exit(helperStoreMain(path, os.Getenv("MAILIN_HELPER_URL")))
	}
	if path := os.Getenv("MAILIN_HELPER_SINK"); path != "" {
		os.Exit(helperMain(path, os.Getenv("MAILIN_HELPER_URL")))
	}
	os.Exit(m.Run())
}

func helperMain(sinkPath, url string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sink, err := openFileSink(sinkPath)
	if err != nil {
		log.Error("helper: open sink", "err", err)
		return 1
	}
	// A store commit is not free: let the kill land among Takes.
	sink.slow = 2 * time.Millisecond
	if k := os.Getenv("MAILIN_HELPER_KILL"); k != "" {
		sink.kill = []byte(k) // the mail that kills the process
	}
	return runHelper(url, sink, log)
}

// TestDovecotKill kills the gateway (SIGKILL) twice in the middle of a batch
// and restarts it: every message is committed exactly once and moved once.
func TestDovecotKill(t *testing.T) {
	s := dovecottest.Start(t)
	const n = 300
	var want []string
	for i := range n {
		s.Deliver(report, rawMail("kill", i))
		want = append(want, msgID("kill", i))
	}
	dir := t.TempDir()
	sinkPath := filepath.Join(dir, "sink.jsonl")
	logPath := filepath.Join(dir, "helper.log")
	committed := func() int {
		b, _ := os.ReadFile(sinkPath)
		return bytes.Count(b, []byte("\n"))
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MAILIN_HELPER_SINK="+sinkPath, "MAILIN_HELPER_URL="+s.URL(report))
		logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("gateway log:\n%s", b)
		}
	}()

	for _, at := range []int{70, 180} {
		cmd := start()
		waitFor(t, 30*time.Second, "commits before the kill", func() bool { return committed() >= at })
		cmd.Process.Kill()
		cmd.Wait()
		t.Logf("killed with %d committed (%d into a batch of 50), %d messages left in INBOX",
			committed(), committed()%50, s.FolderFiles(report, "INBOX"))
	}
	cmd := start()
	waitFor(t, 30*time.Second, "all committed", func() bool { return committed() == n })
	waitFor(t, 10*time.Second, "INBOX emptied", func() bool { return s.FolderFiles(report, "INBOX") == 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("gateway after SIGTERM: %v", err)
	}

	recs, err := readFileSink(sinkPath)
	if err != nil {
		t.Fatal(err)
	}
	checkOnce(t, recs, want)
	checkFolders(t, s, report, "Processed", want)
}

// runHelper is the intake of a helper process, into sink, until SIGTERM
// (or a SIGKILL from the test, which is the point).
func runHelper(url string, sink Sink, log *slog.Logger) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg := Config{URL: url, BatchSize: 50, RetryMin: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond, Logger: log}
	if err := Run(ctx, cfg, sink); err != nil {
		log.Error("helper: run", "err", err)
		return 1
	}
	return 0
}
