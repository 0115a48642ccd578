package e2etest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Tmpfs mounts a tmpfs of size bytes on a new temporary folder and
// returns the folder; it is unmounted at the end of the test. A full disk
// needs a small filesystem of its own, short of filling a real one; when
// mounting is not allowed (no CAP_SYS_ADMIN) Tmpfs returns the error
// ErrNoMount, for the caller to skip what needs it.
func Tmpfs(t testing.TB, size int64) (string, error) {
	t.Helper()
	dir, err := os.MkdirTemp("", "leaguemail-tmpfs")
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		os.Remove(dir)
		if errors.Is(err, syscall.EPERM) {
			return "", fmt.Errorf("%w: mount tmpfs: %v", ErrNoMount, err)
		}
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		// Lazily: a process that died may leave a file open a moment.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
		os.Remove(dir)
	})
	return dir, nil
}

// ErrNoMount says that this process may not mount filesystems.
var ErrNoMount = errors.New("mounting is not permitted here")

// Fill writes a file in dir until the filesystem is full, and returns
// its path: removing it frees the space again.
func Fill(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{0xA5}, 64<<10)
	for {
		_, err := f.Write(chunk)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("fill %s: %v", dir, err)
		}
	}
	// What a short write left: a page or two.
	for {
		if _, err := f.Write(chunk[:512]); err != nil {
			break
		}
	}
	return path
}
