package e2etest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hospital-league/leaguemail/internal/postfixtest"
)

// The Postfix harness stops a server for good at the end of a test, but
// has no way to start it again; the scenarios that take Postfix down for
// a while do it here, with the postfix command on the harness's config.
// The harness still believes its server runs, and stops whatever runs at
// the end of the test.

// StopPostfix stops the test Postfix (queue kept) and waits until its
// master is gone and its port refuses connections.
func (e *Env) StopPostfix() {
	e.T.Helper()
	pid := postfixMaster(e.Postfix)
	if out, err := e.postfix("stop"); err != nil {
		e.T.Fatalf("postfix stop: %v\n%s", err, out)
	}
	WaitFor(e.T, 15*time.Second, "postfix master to exit", func() bool {
		return pid <= 0 || syscall.Kill(pid, 0) != nil || zombie(pid)
	})
	// Its children (smtpd in a session, qmgr, lmtp in a delivery) leave
	// at their own pace. A new master started beside an old qmgr would
	// take the mail that one holds in the active queue as abandoned and
	// deliver it a second time, or lose track of it.
	WaitFor(e.T, 15*time.Second, "postfix's processes to exit", func() bool {
		return len(postfixProcesses(e.Postfix)) == 0
	}, func() string { return fmt.Sprint("left: ", postfixProcesses(e.Postfix)) })
	WaitFor(e.T, 15*time.Second, "postfix port to close", func() bool {
		c, err := net.DialTimeout("tcp", e.Postfix.Addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	})
}

// StartPostfix starts the test Postfix again after StopPostfix and waits
// for its greeting.
func (e *Env) StartPostfix() {
	e.T.Helper()
	if out, err := e.postfix("start"); err != nil {
		e.T.Fatalf("postfix start: %v\n%s", err, out)
	}
	WaitFor(e.T, 15*time.Second, "postfix to greet", func() bool {
		c, err := net.DialTimeout("tcp", e.Postfix.Addr, time.Second)
		if err != nil {
			return false
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		line, _ := bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("QUIT\r\n"))
		return strings.HasPrefix(line, "220 ")
	})
}

func (e *Env) postfix(cmd string) ([]byte, error) {
	return exec.Command(postfixtest.Binary(), "-c", filepath.Join(e.Postfix.Dir, "conf"), cmd).CombinedOutput()
}

func postfixMaster(s *postfixtest.Server) int {
	b, err := os.ReadFile(filepath.Join(s.Dir, "queue", "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// postfixProcesses lists the live processes of the test Postfix: the
// postfix command hands MAIL_CONFIG to the master, which hands it on.
func postfixProcesses(s *postfixtest.Server) []int {
	want := []byte("MAIL_CONFIG=" + filepath.Join(s.Dir, "conf") + "\x00")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) || zombie(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}
