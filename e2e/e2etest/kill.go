package e2etest

import (
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Kill kills the child with SIGKILL, as a crash or the OOM killer would:
// no deferred function, no flush, no goodbye to the servers. It returns
// once the process is gone.
func (g *Gateway) Kill() {
	g.e.T.Helper()
	select {
	case <-g.exited:
		g.e.T.Fatalf("leaguemail serve had already exited before the kill: %v", g.waitErr)
	default:
	}
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		g.e.T.Fatalf("e2etest: SIGKILL to leaguemail serve: %v", err)
	}
	<-g.exited
}

// Exited reports whether the child has exited, and how.
func (g *Gateway) Exited() (bool, error) {
	select {
	case <-g.exited:
		return true, g.waitErr
	default:
		return false, nil
	}
}

// Respawn starts `leaguemail serve` again after prev was killed, on the
// same config and log file, and waits until its HTTP listener answers.
// Unlike Serve, it does not print the log at the end of a failed test
// (the first Gateway of the test does, and the file is the same), so a
// scenario that restarts the gateway many times prints it once.
func (e *Env) Respawn(prev *Gateway) *Gateway {
	e.T.Helper()
	logf, err := os.OpenFile(prev.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.T.Fatal(err)
	}
	defer logf.Close()
	g := &Gateway{URL: prev.URL, LogFile: prev.LogFile, e: e, exited: make(chan struct{})}
	g.cmd = exec.Command(e.Bin, "serve", "--config", e.Config)
	g.cmd.Env = cleanEnv()
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	if err := g.cmd.Start(); err != nil {
		e.T.Fatalf("e2etest: start leaguemail serve: %v", err)
	}
	go func() {
		g.waitErr = g.cmd.Wait()
		close(g.exited)
	}()
	e.T.Cleanup(func() {
		if done, _ := g.Exited(); !done {
			g.cmd.Process.Kill()
			<-g.exited
		}
	})
	c := http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if done, err := g.Exited(); done {
			e.T.Fatalf("leaguemail serve exited at start: %v", err)
		}
		resp, err := c.Get(g.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return g
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("leaguemail serve: no HTTP listener on %s after 20s: %v", e.Data.HTTPListen, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
