// Package postfixtest starts a real Postfix for tests.
//
// Each server runs from a configuration written into a temporary folder
// (testdata/main.cf.tmpl and master.cf.tmpl filled in): an SMTP listener on
// a free 127.0.0.1 port offering STARTTLS with a self-signed certificate,
// and every domain of the given users as a virtual mailbox domain delivered
// over LMTP to a Dovecot (see package dovecottest). Queue, data and log
// live in the temporary folder too; /etc/postfix is never written, and
// Stop leaves no Postfix process behind.
//
// When Postfix is not installed, Start skips the test, unless
// LEAGUEMAIL_E2E=1 is set (./scripts/test sets it), in which case it fails.
package postfixtest

import (
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/hospital-league/leaguemail/internal/testport"

	"github.com/hospital-league/leaguemail/internal/testcert"
)

var (
	//go:embed testdata/main.cf.tmpl
	mainTemplate string
	//go:embed testdata/master.cf.tmpl
	masterTemplate string
)

// Server is a running Postfix.
type Server struct {
	Addr   string // 127.0.0.1:port of the SMTP listener (STARTTLS offered)
	CAFile string // PEM of the listener's self-signed certificate
	Dir    string // config (Dir/conf), queue, data and maillog

	t         testing.TB
	opts      Options
	conf      string
	running   bool
	accessGen int
}

// Binary returns the path of the postfix program, or "" when none is
// installed.
func Binary() string {
	if p, err := exec.LookPath("postfix"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/postfix", "/usr/local/sbin/postfix"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Options change what StartWith configures.
type Options struct {
	// SASLAddr turns on SMTP AUTH, handed to Dovecot's auth service at this
	// host:port (smtpd_sasl_type = dovecot; dovecottest.Server.AuthAddr):
	// Postfix then offers the mechanisms that Dovecot offers, XOAUTH2 and
	// OAUTHBEARER included when its oauth2 passdb is on.
	SASLAddr string
}

// Start writes a configuration that delivers mail for users (and refuses
// any other address of their domains) to the LMTP server at lmtpAddr
// (host:port), starts Postfix and waits until it greets. It is stopped when
// the test ends.
func Start(t testing.TB, lmtpAddr string, users ...string) *Server {
	t.Helper()
	return StartWith(t, Options{}, lmtpAddr, users...)
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options, lmtpAddr string, users ...string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("LEAGUEMAIL_E2E") == "1" {
			t.Fatal("postfix is not installed: run ./scripts/test, which installs it")
		}
		t.Skip("postfix is not installed (./scripts/test installs it); skipping")
	}
	if lmtpAddr == "" {
		t.Fatal("postfixtest: no LMTP address: is dovecot-lmtpd installed?")
	}
	// Not t.TempDir: Postfix's unprivileged processes must be able to enter
	// every folder above the queue.
	dir, err := os.MkdirTemp("", "postfix")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, t: t, opts: opts, conf: filepath.Join(dir, "conf")}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("postfix log:\n%s", s.logTail(60))
		}
	})
	// The port is found free, then bound by Postfix a moment later: a test
	// package running beside this one may take it in between. Another
	// port, then.
	for attempt := 1; ; attempt++ {
		if err := s.configure(lmtpAddr, users); err != nil {
			t.Fatalf("postfixtest: %v", err)
		}
		err := s.start()
		if err == nil {
			return s
		}
		if attempt < 5 && (strings.Contains(s.Log(), "Address already in use") || strings.Contains(err.Error(), "Address already in use")) {
			s.Stop()
			continue
		}
		t.Fatalf("postfixtest: %v\n%s", err, s.logTail(40))
	}
}

// confData fills the templates.
type confData struct {
	Version, Dir, Conf     string
	MailOwner, SetgidGroup string
	Domains                string
	LMTPHost, LMTPPort     string
	SMTPAddr               string
	SASLAddr               string
	// Banner names this server, so that its readiness check cannot be
	// answered by another test's Postfix that took the same port.
	Banner string
}

func (s *Server) configure(lmtpAddr string, users []string) error {
	out, err := exec.Command("postconf", "-d", "-h", "mail_version").Output()
	if err != nil {
		return fmt.Errorf("postconf -d mail_version: %v", err)
	}
	d := confData{Version: strings.TrimSpace(string(out)), Dir: s.Dir, Conf: s.conf, SASLAddr: s.opts.SASLAddr, Banner: s.banner()}
	if major, _, _ := strings.Cut(d.Version, "."); major < "3" || len(major) != 1 {
		return fmt.Errorf("postfix %s: the test configuration is written for Postfix 3", d.Version)
	}
	if d.MailOwner, d.SetgidGroup, err = owners(); err != nil {
		return err
	}
	if d.LMTPHost, d.LMTPPort, err = net.SplitHostPort(lmtpAddr); err != nil {
		return fmt.Errorf("LMTP address %q: %v", lmtpAddr, err)
	}
	// Another program may take the port before Postfix does; start then
	// fails with Postfix's log, or finds another server's banner there.
	if s.Addr, err = freeAddr(); err != nil {
		return err
	}
	d.SMTPAddr = s.Addr

	var vmailbox bytes.Buffer
	var domains []string
	for _, u := range users {
		u = strings.ToLower(u)
		_, dom, ok := strings.Cut(u, "@")
		if !ok {
			return fmt.Errorf("user %q is not an address", u)
		}
		if !slices.Contains(domains, dom) {
			domains = append(domains, dom)
		}
		fmt.Fprintf(&vmailbox, "%s %s/\n", u, dom)
	}
	if len(domains) == 0 {
		return fmt.Errorf("no users: Postfix would accept mail for no one")
	}
	d.Domains = strings.Join(domains, " ")
	for _, sub := range []string{"conf", "queue", "data"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, sub), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(s.conf, "vmailbox"), vmailbox.Bytes(), 0o644); err != nil {
		return err
	}
	s.CAFile = filepath.Join(s.conf, "cert.pem")
	if err := testcert.Write(s.CAFile, filepath.Join(s.conf, "key.pem"), "leaguemail test Postfix"); err != nil {
		return fmt.Errorf("certificate: %v", err)
	}
	for name, text := range map[string]string{"main.cf": mainTemplate, "master.cf": masterTemplate} {
		var b bytes.Buffer
		if err := template.Must(template.New(name).Parse(text)).Execute(&b, d); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(s.conf, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if err := s.writeAccess(nil); err != nil {
		return err
	}
	// data_directory must belong to mail_owner; postfix check creates the
	// queue's folders with their owners.
	if err := chownTo(filepath.Join(s.Dir, "data"), d.MailOwner); err != nil {
		return err
	}
	// postfix check says what is wrong with the configuration, on its
	// output or in the log; any warning is a mistake in the templates.
	out, err = s.postfix("check")
	if err != nil {
		return err
	}
	if w := strings.TrimSpace(string(out) + s.Log()); w != "" {
		return fmt.Errorf("postfix check: %s", w)
	}
	return nil
}

func chownTo(path, owner string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup(owner)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

// owners picks the unprivileged user Postfix runs as and its set-gid group:
// the package's own ones when run as root, else the current user's, which
// Postfix accepts when it is not root itself.
func owners() (owner, group string, err error) {
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postfix"); err != nil {
			return "", "", fmt.Errorf("running as root needs the postfix system user: %v", err)
		}
		if _, err := user.LookupGroup("postdrop"); err != nil {
			return "", "", fmt.Errorf("running as root needs the postdrop group: %v", err)
		}
		return "postfix", "postdrop", nil
	}
	me, err := user.Current()
	if err != nil {
		return "", "", err
	}
	g, err := user.LookupGroupId(me.Gid)
	if err != nil {
		return "", "", err
	}
	return me.Username, g.Name, nil
}

// postfix runs the postfix command on this server's configuration.
func (s *Server) postfix(args ...string) ([]byte, error) {
	cmd := exec.Command(Binary(), append([]string{"-c", s.conf}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("postfix %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out, nil
}

// freeAddr returns a 127.0.0.1 address that no other test process holds
// (package testport: Postfix's master listens with SO_REUSEPORT, so two of
// them on one port both run and share its connections).
func freeAddr() (string, error) {
	p, err := testport.Free()
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), err
}

// banner is this server's SMTP greeting, unique among the tests running
// at once (its folder's name).
func (s *Server) banner() string { return "postfixtest " + filepath.Base(s.Dir) }

func (s *Server) start() error {
	if _, err := s.postfix("start"); err != nil {
		return err
	}
	s.running = true
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			line := make([]byte, 512)
			n, _ := c.Read(line)
			c.Write([]byte("QUIT\r\n"))
			c.Close()
			switch {
			case bytes.HasPrefix(line[:n], []byte("220 ")) && bytes.Contains(line[:n], []byte(s.banner())):
				return nil
			case bytes.HasPrefix(line[:n], []byte("220 ")):
				// Ports are found free and bound a moment later: a test
				// package starting beside this one took ours first.
				return fmt.Errorf("another server on %s (Address already in use): %q", s.Addr, bytes.TrimSpace(line[:n]))
			}
			err = fmt.Errorf("greeting %q", line[:n])
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postfix not ready after 15s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop stops Postfix and waits until none of its processes is left.
func (s *Server) Stop() {
	if !s.running {
		return
	}
	s.running = false
	pid := s.masterPID()
	if _, err := s.postfix("stop"); err != nil {
		s.t.Logf("postfixtest: %v", err)
	}
	if pid > 0 && !waitGone(pid, 10*time.Second) {
		s.t.Errorf("postfixtest: master %d did not stop within 10s; killed", pid)
		syscall.Kill(pid, syscall.SIGKILL)
		waitGone(pid, 5*time.Second)
	}
	// Children leave when they see their master gone; wait for them, then
	// kill any straggler, so that no process outlives the test.
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := s.processes()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				syscall.Kill(p, syscall.SIGKILL)
			}
			s.t.Errorf("postfixtest: killed postfix processes %v left after stop", left)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) masterPID() int {
	b, err := os.ReadFile(filepath.Join(s.Dir, "queue", "pid", "master.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// waitGone waits until process pid is gone (or a zombie).
func waitGone(pid int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return !alive(pid)
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// The state follows the parenthesised command name.
	if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

// processes lists the live processes of this instance: the postfix command
// hands MAIL_CONFIG to master, which hands it to every child.
func (s *Server) processes() []int {
	want := []byte("MAIL_CONFIG=" + s.conf + "\x00")
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, want) || !alive(pid) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// SetAccess makes the SMTP listener answer RCPT TO for the given addresses
// with the given replies ("451 4.7.1 try later", "550 5.7.1 refused");
// nil clears them. smtpd sees the change at its next connection.
func (s *Server) SetAccess(replies map[string]string) {
	s.t.Helper()
	if err := s.writeAccess(replies); err != nil {
		s.t.Fatalf("postfixtest: %v", err)
	}
}

func (s *Server) writeAccess(replies map[string]string) error {
	var b bytes.Buffer
	for addr, reply := range replies {
		fmt.Fprintf(&b, "%s %s\n", addr, reply)
	}
	src := filepath.Join(s.conf, "access")
	if err := os.WriteFile(src, b.Bytes(), 0o644); err != nil {
		return err
	}
	out, err := exec.Command("postmap", "-c", s.conf, "hash:"+src).CombinedOutput()
	if err != nil {
		return fmt.Errorf("postmap access: %v: %s", err, out)
	}
	// smtpd reopens a table whose file's mtime changed, compared to the
	// second: two changes within one second would go unseen. Each version
	// gets an mtime of its own.
	s.accessGen++
	at := time.Unix(1_700_000_000+int64(s.accessGen), 0)
	return os.Chtimes(src+".db", at, at)
}

// QueueLen counts the mails in Postfix's queue, not yet delivered.
func (s *Server) QueueLen() int {
	n := 0
	for _, q := range []string{"maildrop", "incoming", "active", "deferred", "hold"} {
		filepath.WalkDir(filepath.Join(s.Dir, "queue", q), func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
	}
	return n
}

// WaitDelivered waits until Postfix's queue is empty: every mail it took
// was handed to Dovecot (or bounced).
func (s *Server) WaitDelivered(limit time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(limit)
	for s.QueueLen() > 0 {
		if time.Now().After(deadline) {
			s.t.Fatalf("postfixtest: %d mails still queued after %v\n%s", s.QueueLen(), limit, s.logTail(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Log returns Postfix's log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "maillog"))
	return string(b)
}

func (s *Server) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(s.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
