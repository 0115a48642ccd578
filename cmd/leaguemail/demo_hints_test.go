package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoMuttHint: the mutt line the demo prints sends, as printed, a
// mail that the gateway takes in from the triager's address, not from
// root@host through a local sendmail. mutt 2.x runs in batch mode (a
// recipient on the command line, the body on stdin).
func TestDemoMuttHint(t *testing.T) {
	mutt, err := exec.LookPath("mutt")
	if err != nil {
		if os.Getenv("LEAGUEMAIL_E2E") != "" {
			t.Fatal("mutt is not installed (apt-get install mutt)")
		}
		t.Skip("mutt is not installed")
	}
	t.Setenv("TMPDIR", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb demoOutput
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"demo", "--keep"}, &out, &errb) }()
	defer func() { cancel(); <-done }()

	hint := regexp.MustCompile(`(?m)^  (mutt -n .*)$`)
	var line string
	for deadline := time.Now().Add(60 * time.Second); line == ""; time.Sleep(20 * time.Millisecond) {
		if m := hint.FindStringSubmatch(out.String()); m != nil {
			line = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mutt line printed:\n%s\nstderr: %s", out.String(), errb.String())
		}
	}
	for _, want := range []string{"smtp_url=smtp://alex%40volunteers.example:demo@127.0.0.1:", "from=alex@volunteers.example",
		"folder=imap://alex%40volunteers.example:demo@127.0.0.1:"} {
		if !strings.Contains(line, want) {
			t.Errorf("mutt line lacks %q: %s", want, line)
		}
	}
	mailIn := "→ mail in from alex@volunteers.example"
	before := strings.Count(out.String(), mailIn)

	home := t.TempDir()
	body := filepath.Join(home, "body.txt")
	os.WriteFile(body, []byte("Hi team,\n\nsent with mutt as the demo says.\n"), 0o644)
	cmd := exec.CommandContext(ctx, "sh", "-c", line+" -s 'mutt hint' report@league.example < "+shellQuote(body))
	cmd.Env = append(os.Environ(), "HOME="+home, "MUTT_PATH="+mutt)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, b)
	}
	for deadline := time.Now().Add(60 * time.Second); strings.Count(out.String(), mailIn) <= before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the gateway took in no mail from the triager after mutt sent it:\n%s", out.String())
		}
	}
}
