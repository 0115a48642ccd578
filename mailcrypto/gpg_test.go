package mailcrypto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// gnupg is a GnuPG home of its own in a temporary folder: the real peer
// that reads what we send and writes what we read.
type gnupg struct {
	t    *testing.T
	home string
}

func newGnuPG(t *testing.T) *gnupg {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		if os.Getenv("LEAGUEMAIL_E2E") != "" {
			t.Fatal("gpg is not installed (apt-get install gnupg)")
		}
		t.Skip("gpg is not installed")
	}
	// The agent's socket path must stay short: a home under /tmp, not
	// under a long test temp dir.
	home, err := os.MkdirTemp("/tmp", "lm-gpg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	g := &gnupg{t: t, home: home}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("allow-loopback-pinentry\n"), 0o600)
	return g
}

// run runs gpg with args and stdin, and returns stdout; stderr goes into
// the error.
func (g *gnupg) run(stdin []byte, args ...string) ([]byte, string, error) {
	all := append([]string{"--homedir", g.home, "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "",
		"--trust-model", "always"}, args...)
	cmd := exec.Command("gpg", all...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.String(), err
}

func (g *gnupg) must(stdin []byte, args ...string) []byte {
	g.t.Helper()
	out, stderr, err := g.run(stdin, args...)
	if err != nil {
		g.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// newKey makes a key for address in the GnuPG home and returns its public
// part, armored.
func (g *gnupg) newKey(address string, extra ...string) []byte {
	g.t.Helper()
	args := []string{"--quick-generate-key", "Test <" + address + ">", "future-default", "default"}
	if len(extra) > 0 {
		args = []string{"--quick-generate-key", "Test <" + address + ">", "future-default", "default", extra[0]}
	}
	g.must(nil, args...)
	return g.must(nil, "--armor", "--export", address)
}

func (g *gnupg) importKey(armored []byte) { g.t.Helper(); g.must(armored, "--import") }
