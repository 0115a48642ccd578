// Package testport hands out 127.0.0.1 ports for the servers that tests
// start and configure before they listen (Dovecot, Postfix, PostgreSQL,
// the gateway's HTTP listener), none of them handed to another test
// process running at the same time.
//
// A port found free with net.Listen(":0") and closed is free only for a
// moment: a test package running beside this one may find the same port
// and configure its own server on it. Postfix's master binds its listeners
// with SO_REUSEPORT, so the second Postfix does not fail: both listen, and
// the kernel spreads connections between them, one scenario's mail going
// into another's mailboxes. Each port handed out is therefore also locked
// (flock on a file named after it, in a folder all test processes share)
// for the life of the process; the kernel drops the lock when the process
// ends, however it ends.
package testport

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

var (
	mu   sync.Mutex
	held []*os.File // open for the life of the process: their locks are the reservations
)

// Free returns a port of 127.0.0.1 that was free a moment ago and that no
// other test process holds.
func Free() (int, error) {
	dir := filepath.Join(os.TempDir(), "leaguemail-test-ports")
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return 0, fmt.Errorf("testport: %w", err)
	}
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("testport: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(port)), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			l.Close()
			return 0, fmt.Errorf("testport: %w", err)
		}
		// A lock is held per open file, so a port this process handed out
		// already is refused too.
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			l.Close()
			continue
		}
		mu.Lock()
		held = append(held, f)
		mu.Unlock()
		l.Close()
		return port, nil
	}
	return 0, fmt.Errorf("testport: no free port found in 100 tries")
}
