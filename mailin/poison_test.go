package mailin

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

// TestDovecotPoison: a mail that kills the process whenever it is taken
// (the helper's sink SIGKILLs itself on it, as the OOM killer or a crash
// in a C library would) kills it exactly 3 times: after the first death
// the mails of the batch in hand are taken one at a time, the culprit is
// found, and at its third death in a row it is set aside unparsed, with
// the reason, and moved to the Failed folder. Every other mail is taken
// once; the gateway then runs on.
func TestDovecotPoison(t *testing.T) {
	s := dovecottest.Start(t)
	const n, pill = 8, 3
	var want []string
	for i := range n {
		raw := rawMail("poison", i)
		if i == pill {
			raw = bytes.Replace(raw, []byte("Suspicious link"), []byte("POISON-PILL Suspicious link"), 1)
		} else {
			want = append(want, msgID("poison", i))
		}
		s.Deliver(report, raw)
	}
	dir := t.TempDir()
	sinkPath := filepath.Join(dir, "sink.jsonl")
	logPath := filepath.Join(dir, "helper.log")
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("gateway log:\n%s", b)
		}
	}()
	start := func() (*exec.Cmd, chan error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "MAILIN_HELPER_SINK="+sinkPath, "MAILIN_HELPER_URL="+s.URL(report),
			"MAILIN_HELPER_KILL=POISON-PILL")
		logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }() // the only Wait
		t.Cleanup(func() {
			cmd.Process.Kill()
			select {
			case err := <-exited:
				exited <- err
			case <-time.After(10 * time.Second):
			}
		})
		return cmd, exited
	}
	settled := func() bool {
		recs, _ := readFileSink(sinkPath)
		return len(recs) == n && s.FolderFiles(report, "INBOX") == 0 && s.FolderFiles(report, "Failed") == 1
	}

	// As systemd would: start again after each death, up to 6 times.
	deaths := 0
	var cmd *exec.Cmd
	var exited chan error
	for deaths <= 5 {
		cmd, exited = start()
		deadline := time.After(30 * time.Second)
		died := false
	watch:
		for {
			select {
			case err := <-exited:
				exited <- err
				if ee, ok := err.(*exec.ExitError); !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("helper exited with %v, want a death by SIGKILL", err)
				}
				died = true
				break watch
			case <-deadline:
				t.Fatalf("after %d deaths: neither settled nor dead within 30s", deaths)
			case <-time.After(50 * time.Millisecond):
				if settled() {
					break watch
				}
			}
		}
		if !died {
			break
		}
		deaths++
	}
	if deaths != PoisonCrashes {
		t.Errorf("the poison mail killed the gateway %d times, want %d", deaths, PoisonCrashes)
	}
	// Still alive, and still taking mail in.
	s.Deliver(report, rawMail("poison", 100))
	want = append(want, msgID("poison", 100))
	waitFor(t, 15*time.Second, "new mail after the poison", func() bool {
		recs, _ := readFileSink(sinkPath)
		return len(recs) == n+1
	})
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Errorf("gateway after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("gateway still running 10s after SIGTERM")
	}

	recs, err := readFileSink(sinkPath)
	if err != nil {
		t.Fatal(err)
	}
	var taken []record
	var poison []record
	for _, r := range recs {
		if r.Poison != "" {
			poison = append(poison, r)
		} else {
			taken = append(taken, r)
		}
	}
	checkOnce(t, taken, want)
	if len(poison) != 1 || poison[0].MessageID != msgID("poison", pill) || !strings.Contains(poison[0].Poison, "died 3 times") {
		t.Errorf("poison records %+v: want the pill alone, with the reason", poison)
	}
	checkFolders(t, s, report, "Failed", []string{msgID("poison", pill)})
	checkFolders(t, s, report, "Processed", want)
}
