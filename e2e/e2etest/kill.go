package e2etest

import "syscall"

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
	return e.spawn(prev.Config, prev.URL, prev.LogFile, false)
}
