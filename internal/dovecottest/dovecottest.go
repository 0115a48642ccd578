// Package dovecottest starts a real Dovecot IMAP server for tests.
//
// Each server runs from a configuration written into a temporary folder
// (maildir storage, a passwd-file of test users, plain text login on a
// 127.0.0.1 port with STARTTLS offered, a second port with implicit TLS and a
// self-signed certificate, and LMTP for a later Postfix), is started in the
// foreground under the test's control, and is stopped at the test's end.
// /etc/dovecot is never read.
//
// When Dovecot is not installed, Start skips the test, unless LEAGUEMAIL_E2E=1
// is set (./scripts/test sets it), in which case it fails.
package dovecottest

import (
	"bufio"
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
	"sync/atomic"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/hospital-league/leaguemail/internal/testport"

	"github.com/hospital-league/leaguemail/internal/testcert"
)

//go:embed testdata/dovecot.conf.tmpl
var confTemplate string

// Password is the password of every test user.
const Password = "password"

// Users are the accounts of every server, all with Password.
var Users = []string{
	"report@league.example",
	"abuse@league.example",
	"alex@volunteers.example",
	"test1@league.example",
	"test2@league.example",
	"test3@league.example",
	"test4@league.example",
	"test5@league.example",
}

// Server is a running Dovecot.
type Server struct {
	Addr       string // 127.0.0.1:port, plain text (STARTTLS offered)
	TLSAddr    string // 127.0.0.1:port, implicit TLS
	LMTPAddr   string // 127.0.0.1:port of LMTP; "" when dovecot-lmtpd is missing
	LMTPSocket string // unix socket of LMTP; "" when dovecot-lmtpd is missing
	AuthAddr   string // 127.0.0.1:port of the auth service, for Postfix's Dovecot SASL
	CAFile     string // PEM of the TLS listeners' self-signed certificate
	Dir        string // where config, mail and logs live

	t        testing.TB
	opts     Options
	bin      string
	conf     string
	mailUID  int
	mailGID  int
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping atomic.Bool
}

// Binary returns the path of the dovecot program, or "" when none is installed.
func Binary() string {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Options change what StartWith configures.
type Options struct {
	// IntrospectionURL turns on Dovecot's oauth2 passdb: XOAUTH2 and
	// OAUTHBEARER logins, each token checked at this RFC 7662 endpoint
	// (introspection_mode = post; see package oauthtest). Password logins
	// keep working beside them.
	IntrospectionURL string
	// GlobalACL turns on the acl plugin with a global ACL file (empty:
	// every owner keeps all rights), which SetGlobalACL rewrites while
	// the server runs, to make it refuse e.g. moves into a folder.
	GlobalACL bool
}

// Start writes a configuration, starts Dovecot and waits until it takes
// logins. It is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("LEAGUEMAIL_E2E") == "1" {
			t.Fatal("dovecot is not installed: run ./scripts/test, which installs dovecot-imapd and dovecot-lmtpd")
		}
		t.Skip("dovecot is not installed (./scripts/test installs it); skipping")
	}
	// Not t.TempDir: unix socket paths must stay short, and Dovecot's
	// unprivileged processes must be able to enter the folder.
	dir, err := os.MkdirTemp("", "dovecot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, t: t, opts: opts, bin: bin, conf: filepath.Join(dir, "dovecot.conf")}
	t.Cleanup(func() {
		if s.cmd != nil {
			s.Stop()
		}
		if t.Failed() {
			t.Logf("dovecot log:\n%s", s.logTail(60))
		}
	})
	// The ports are found free, then bound by Dovecot a moment later: a
	// test package running beside this one may take one in between.
	// Other ports, then.
	for attempt := 1; ; attempt++ {
		if err := s.configure(); err != nil {
			t.Fatalf("dovecottest: %v", err)
		}
		err := s.start()
		if err == nil {
			return s
		}
		if attempt < 5 && (strings.Contains(s.Log(), "Address already in use") || strings.Contains(err.Error(), "Address already in use")) {
			if s.cmd != nil {
				s.Stop()
			}
			continue
		}
		t.Fatalf("dovecottest: %v\n%s", err, s.logTail(40))
	}
}

// confData fills testdata/dovecot.conf.tmpl.
type confData struct {
	Version                                string
	Dir, RunDir, CertFile, KeyFile         string
	InternalUser, InternalGroup, LoginUser string
	MailUID, MailGID                       int
	Port, TLSPort, LMTPPort, AuthPort      int
	LMTP                                   bool
	OAuth                                  bool
	ACLFile                                string
	// Greeting names this server, so that its readiness check cannot be
	// answered by another test's Dovecot that took the same port.
	Greeting string
}

func (s *Server) configure() error {
	d := confData{Dir: s.Dir, RunDir: filepath.Join(s.Dir, "run"), Greeting: s.greeting()}
	out, err := exec.Command(s.bin, "--version").Output()
	if err != nil {
		return fmt.Errorf("dovecot --version: %v", err)
	}
	d.Version = strings.TrimSpace(string(out))
	if !strings.HasPrefix(d.Version, "2.3.") {
		// 2.4 changed most setting names; the template is written for 2.3.
		return fmt.Errorf("dovecot %s: the test configuration is written for Dovecot 2.3", d.Version)
	}
	if err := s.users(&d); err != nil {
		return err
	}
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	d.Port, d.TLSPort, d.LMTPPort, d.AuthPort = ports[0], ports[1], ports[2], ports[3]
	s.AuthAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(d.AuthPort))
	if s.opts.IntrospectionURL != "" {
		d.OAuth = true
		// Every login asks the endpoint: no tokeninfo, no cache, so that a
		// revoked token is refused at once.
		conf := "introspection_mode = post\n" +
			"introspection_url = " + s.opts.IntrospectionURL + "\n" +
			"force_introspection = yes\n" +
			"username_attribute = username\n" +
			"active_attribute = active\n" +
			"active_value = true\n"
		if err := os.WriteFile(filepath.Join(s.Dir, "oauth2.conf.ext"), []byte(conf), 0o644); err != nil {
			return err
		}
	}
	if s.opts.GlobalACL {
		d.ACLFile = filepath.Join(s.Dir, "global-acl")
		if err := os.WriteFile(d.ACLFile, nil, 0o644); err != nil {
			return err
		}
	}
	d.LMTP = lmtpInstalled()
	s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Port))
	s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(d.TLSPort))
	if d.LMTP {
		s.LMTPAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(d.LMTPPort))
		s.LMTPSocket = filepath.Join(d.RunDir, "lmtp")
	}
	d.CertFile = filepath.Join(s.Dir, "cert.pem")
	d.KeyFile = filepath.Join(s.Dir, "key.pem")
	s.CAFile = d.CertFile
	if err := testcert.Write(d.CertFile, d.KeyFile, "leaguemail test Dovecot"); err != nil {
		return fmt.Errorf("certificate: %v", err)
	}
	var passwd bytes.Buffer
	for _, u := range Users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s::::\n", u, Password)
		md := filepath.Join(s.Dir, "home", u, "Maildir")
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(md, sub), 0o700); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "passwd"), passwd.Bytes(), 0o644); err != nil {
		return err
	}
	if err := s.chownTree(filepath.Join(s.Dir, "home")); err != nil {
		return err
	}
	var conf bytes.Buffer
	if err := template.Must(template.New("conf").Parse(confTemplate)).Execute(&conf, d); err != nil {
		return err
	}
	return os.WriteFile(s.conf, conf.Bytes(), 0o644)
}

// users picks the system users Dovecot runs as. As root, mail belongs to the
// "dovecot" user and logins run as "dovenull", since Dovecot refuses root for
// both; otherwise everything runs as the current user.
func (s *Server) users(d *confData) error {
	me, err := user.Current()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		g, err := user.LookupGroupId(me.Gid)
		if err != nil {
			return err
		}
		d.InternalUser, d.InternalGroup, d.LoginUser = me.Username, g.Name, me.Username
		s.mailUID, s.mailGID = os.Geteuid(), os.Getegid()
		d.MailUID, d.MailGID = s.mailUID, s.mailGID
		return nil
	}
	mail, err := user.Lookup("dovecot")
	if err != nil {
		return fmt.Errorf("running as root needs the dovecot system user: %v", err)
	}
	if _, err := user.Lookup("dovenull"); err != nil {
		return fmt.Errorf("running as root needs the dovenull system user: %v", err)
	}
	d.InternalUser, d.InternalGroup, d.LoginUser = "dovecot", "dovecot", "dovenull"
	s.mailUID, _ = strconv.Atoi(mail.Uid)
	s.mailGID, _ = strconv.Atoi(mail.Gid)
	d.MailUID, d.MailGID = s.mailUID, s.mailGID
	return nil
}

func (s *Server) chownTree(root string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, s.mailUID, s.mailGID)
	})
}

func lmtpInstalled() bool {
	for _, p := range []string{"/usr/lib/dovecot/lmtp", "/usr/libexec/dovecot/lmtp", "/usr/local/libexec/dovecot/lmtp"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// freePorts finds n free TCP ports on 127.0.0.1. Another program may take
// one before Dovecot does; Start then fails with Dovecot's log.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		p, err := testport.Free()
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// Start starts the server, after Stop, on the same ports with the same mail.
func (s *Server) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("dovecottest: Start: already running")
	}
	if err := s.start(); err != nil {
		s.t.Fatalf("dovecottest: %v\n%s", err, s.logTail(40))
	}
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, "-F", "-c", s.conf)
	cmd.Dir = s.Dir
	out, err := os.OpenFile(filepath.Join(s.Dir, "master.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	// A process group of its own, so that Stop can end the imap processes
	// that outlive the master.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dovecot: %w", err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func(exited chan struct{}) {
		cmd.Wait()
		close(exited)
	}(s.exited)
	return s.waitReady(15 * time.Second)
}

// greeting is the login greeting of this server, unique among the tests
// running at once (its folder's name).
func (s *Server) greeting() string { return "leaguemail test " + filepath.Base(s.Dir) + " ready" }

// ownGreeting checks that the server at s.Addr is this one. Ports are
// found free and bound a moment later: a test package starting beside
// this one may take the same port, and its Dovecot, with the same test
// users, would let ours log in.
func (s *Server) ownGreeting() error {
	c, err := net.DialTimeout("tcp", s.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !strings.Contains(line, s.greeting()) {
		return fmt.Errorf("another server on %s (Address already in use): %q", s.Addr, strings.TrimSpace(line))
	}
	return nil
}

// waitReady waits until a test user can log in.
func (s *Server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("dovecot exited at start: %v", s.cmd.ProcessState)
		default:
		}
		c, err := s.dial(Users[0])
		if err == nil {
			c.Close()
			if err = s.ownGreeting(); err == nil {
				return nil
			}
			if strings.Contains(err.Error(), "Address already in use") {
				return err
			}
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("dovecot not ready after %v: %v", limit, last)
}

// Stop stops the server and its processes, dropping every connection.
func (s *Server) Stop() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("dovecottest: dovecot did not stop within 15s of SIGTERM; killed")
	}
	// An imap process in IDLE may linger for seconds after its master:
	// a stopped server closes every connection at once.
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	s.cmd = nil
}

// Restart stops the server and starts it again.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

// Maildir returns the path of a user's INBOX Maildir.
func (s *Server) Maildir(user string) string {
	return filepath.Join(s.Dir, "home", user, "Maildir")
}

// Log returns the server's log.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	m, _ := os.ReadFile(filepath.Join(s.Dir, "master.out"))
	return string(m) + string(b)
}

func (s *Server) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(s.Log(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// URL returns the [imap] url of a user's INBOX over the plain listener.
func (s *Server) URL(user string) string {
	return "imap://" + strings.ReplaceAll(user, "@", "%40") + ":" + Password + "@" + s.Addr + "/INBOX?tls=none"
}

// Doveadm runs doveadm against this server.
func (s *Server) Doveadm(args ...string) error {
	cmd := exec.Command("doveadm", append([]string{"-c", s.conf}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("doveadm %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// SetUIDValidity changes the UIDVALIDITY of a user's mailbox, as a restore
// from backup or a migration to another server would.
func (s *Server) SetUIDValidity(user, mailbox string, v uint32) {
	s.t.Helper()
	if err := s.Doveadm("mailbox", "update", "-u", user, "--uid-validity", strconv.FormatUint(uint64(v), 10), mailbox); err != nil {
		s.t.Fatal(err)
	}
}

var deliveries atomic.Int64

// SetGlobalACL replaces the global ACL file of a server started with
// Options.GlobalACL: lines of "MAILBOX owner RIGHTS" (RFC 4314 rights,
// e.g. "Processed owner lrwstekxa" takes insert away). Dovecot reads it
// again within a second.
func (s *Server) SetGlobalACL(text string) {
	s.t.Helper()
	if !s.opts.GlobalACL {
		s.t.Fatal("dovecottest: SetGlobalACL needs Options.GlobalACL")
	}
	path := filepath.Join(s.Dir, "global-acl")
	if err := os.WriteFile(path+".tmp", []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		s.t.Fatal(err)
	}
}

// Deliver writes a message into a user's INBOX Maildir, as a local delivery
// agent would, without going through IMAP.
func (s *Server) Deliver(user string, raw []byte) {
	s.t.Helper()
	md := s.Maildir(user)
	name := fmt.Sprintf("%d.M%dP%dQ%d.dovecottest", time.Now().Unix(), time.Now().Nanosecond()/1000, os.Getpid(), deliveries.Add(1))
	tmp := filepath.Join(md, "tmp", name)
	if err := os.WriteFile(tmp, raw, 0o600); err != nil {
		s.t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(tmp, s.mailUID, s.mailGID); err != nil {
			s.t.Fatal(err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(md, "new", name)); err != nil {
		s.t.Fatal(err)
	}
}

// FolderFiles counts the message files of a user's folder ("" or "INBOX" for
// INBOX) straight from the Maildir, which works while the server is stopped.
func (s *Server) FolderFiles(user, folder string) int {
	dir := s.Maildir(user)
	if folder != "" && folder != "INBOX" {
		dir = filepath.Join(dir, "."+folder)
	}
	n := 0
	for _, sub := range []string{"cur", "new"} {
		es, _ := os.ReadDir(filepath.Join(dir, sub))
		n += len(slices.DeleteFunc(es, func(e os.DirEntry) bool { return e.IsDir() }))
	}
	return n
}

// RemoveIndexes deletes the UID list and indexes of a user's INBOX, with
// the server stopped, as a rebuild or restore of the mailbox would: Dovecot
// then numbers the messages again from 1.
func (s *Server) RemoveIndexes(user string) {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("dovecottest: RemoveIndexes: stop the server first")
	}
	md := s.Maildir(user)
	names, _ := filepath.Glob(filepath.Join(md, "dovecot*"))
	for _, n := range names {
		if err := os.RemoveAll(n); err != nil {
			s.t.Fatal(err)
		}
	}
}
