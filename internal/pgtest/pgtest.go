// Package pgtest starts a PostgreSQL cluster from Debian's postgresql
// package for tests: initdb in a temporary folder, the server on a
// loopback port with its socket in that folder, trust authentication, no
// fsync. Each test takes a schema of its own in the one database.
//
// PostgreSQL refuses to run as root; as root (CI, containers) the
// cluster belongs to the postgres user (or nobody) and is started
// through runuser. When PostgreSQL is not installed, Start skips the
// test, unless LEAGUEMAIL_E2E=1, where it fails: ./scripts/test installs
// it.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/testport"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Cluster is a running PostgreSQL server.
type Cluster struct {
	Dir  string // data directory and socket
	Port int
	cmd  *exec.Cmd
	done chan struct{}
	n    atomic.Int64
}

// binDir finds the folder of initdb and postgres: Debian keeps them in
// /usr/lib/postgresql/N/bin, off the PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("postgresql is not installed (./scripts/test installs it: apt-get install postgresql)")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

// Available says whether a cluster can be started here.
func Available() bool {
	_, err := binDir()
	return err == nil
}

// runAs is the user the cluster runs as when we are root.
func runAs() (*user.User, error) {
	for _, name := range []string{"postgres", "nobody"} {
		if u, err := user.Lookup(name); err == nil {
			return u, nil
		}
	}
	return nil, fmt.Errorf("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

// command runs bin as the cluster's user.
func command(u *user.User, bin string, args ...string) *exec.Cmd {
	if u == nil {
		return exec.Command(bin, args...)
	}
	return exec.Command("runuser", append([]string{"-u", u.Username, "--", bin}, args...)...)
}

// Start starts a cluster for t and stops it when t ends. See Skip for
// what happens when PostgreSQL is missing.
func Start(t testing.TB) *Cluster {
	t.Helper()
	if !Available() {
		Skip(t)
	}
	c, err := StartCluster()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Skip skips t (or fails it under LEAGUEMAIL_E2E=1) for want of PostgreSQL.
func Skip(t testing.TB) {
	t.Helper()
	_, err := binDir()
	if os.Getenv("LEAGUEMAIL_E2E") == "1" {
		t.Fatalf("pgtest: %v", err)
	}
	t.Skipf("pgtest: %v; skipping", err)
}

// Options change what StartClusterWith starts.
type Options struct {
	// Durable keeps PostgreSQL's defaults (fsync, synchronous commit,
	// full page writes) that tests turn off: for benchmarks that compare
	// with SQLite's synchronous=FULL.
	Durable bool
}

// StartCluster starts a cluster; the caller stops it (a TestMain).
func StartCluster() (*Cluster, error) { return StartClusterWith(Options{}) }

// StartClusterWith is StartCluster with options.
func StartClusterWith(opts Options) (*Cluster, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	var u *user.User
	if os.Geteuid() == 0 {
		if u, err = runAs(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, err
	}
	// The cluster's user must reach its folder; nobody else need read it.
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, err
	}
	if u != nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(data, uid, gid); err != nil {
			return nil, err
		}
	}
	initdb := command(u, filepath.Join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c := &Cluster{Dir: dir, Port: port, done: make(chan struct{})}
	log, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := []string{"-D", data, "-p", strconv.Itoa(port), "-k", data, "-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=200", "-c", "log_min_messages=warning"}
	if !opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	c.cmd = command(u, filepath.Join(bin, "postgres"), args...)
	c.cmd.Stdout, c.cmd.Stderr = log, log
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	go func() { c.cmd.Wait(); log.Close(); close(c.done) }()
	if err := c.waitReady(30 * time.Second); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
		c.Stop()
		return nil, fmt.Errorf("%w: %s", err, b)
	}
	return c, nil
}

func freePort() (int, error) { return testport.Free() }

func (c *Cluster) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		db, err := sql.Open("pgx", c.URL())
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %v: %v", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL is the address of the cluster's postgres database over TCP.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// Schema creates a fresh schema and returns a URL whose connections use
// it: each test's tables apart, in one database.
func (c *Cluster) Schema(t testing.TB) string {
	t.Helper()
	url, err := c.NewSchema()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return url
}

// NewSchema is Schema outside a test.
func (c *Cluster) NewSchema() (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.n.Add(1))
	db, err := sql.Open("pgx", c.URL())
	if err != nil {
		return "", err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		return "", fmt.Errorf("create schema %s: %w", name, err)
	}
	return c.URL() + "&search_path=" + name, nil
}

// Stop stops the server (fast shutdown) and removes its folder.
func (c *Cluster) Stop() {
	if c.cmd != nil && c.cmd.Process != nil {
		// runuser passes the signal on to postgres.
		c.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-c.done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
	}
	if !strings.HasPrefix(c.Dir, os.TempDir()) {
		return
	}
	os.RemoveAll(c.Dir)
}
