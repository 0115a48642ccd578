// Package gnupgtest runs GnuPG in a temporary home for tests: the real
// peer that reads what the gateway encrypts and signs, and writes the
// encrypted and signed mail it must read.
package gnupgtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Home is a GnuPG home of its own.
type Home struct {
	t   testing.TB
	Dir string
}

// New makes a GnuPG home that is removed (and its agent stopped) when the
// test ends. Without gpg the test is skipped, or fails when
// LEAGUEMAIL_E2E is set.
func New(t testing.TB) *Home {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		if os.Getenv("LEAGUEMAIL_E2E") != "" {
			t.Fatal("gpg is not installed (apt-get install gnupg)")
		}
		t.Skip("gpg is not installed")
	}
	// The agent's socket path must stay short (108 bytes): a home under
	// /tmp, not under a long test temp dir.
	dir, err := os.MkdirTemp("/tmp", "lm-gpg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o700)
	h := &Home{t: t, Dir: dir}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", dir, "--kill", "all").Run()
		os.RemoveAll(dir)
	})
	os.WriteFile(filepath.Join(dir, "gpg-agent.conf"), []byte("allow-loopback-pinentry\n# Keys protected by a passphrase: a low S2K count, for speed.\ns2k-count 65536\n"), 0o600)
	return h
}

// Run runs gpg with args and stdin and returns its stdout and stderr.
func (h *Home) Run(stdin []byte, args ...string) ([]byte, string, error) {
	all := append([]string{"--homedir", h.Dir, "--batch", "--yes", "--no-tty", "--pinentry-mode", "loopback", "--passphrase", "",
		"--trust-model", "always"}, args...)
	cmd := exec.Command("gpg", all...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.String(), err
}

// Must is Run that fails the test on an error.
func (h *Home) Must(stdin []byte, args ...string) []byte {
	h.t.Helper()
	out, stderr, err := h.Run(stdin, args...)
	if err != nil {
		h.t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// NewKey makes a key for address (no passphrase; expire as gpg reads it,
// "" for the default) and returns its public part, armored.
func (h *Home) NewKey(address string, expire ...string) []byte {
	h.t.Helper()
	args := []string{"--quick-generate-key", "Test <" + address + ">", "future-default", "default"}
	if len(expire) > 0 {
		args = append(args, expire[0])
	}
	h.Must(nil, args...)
	return h.Must(nil, "--armor", "--export", address)
}

// Import imports a public key.
func (h *Home) Import(armored []byte) { h.t.Helper(); h.Must(armored, "--import") }
