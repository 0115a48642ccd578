package e2etest

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PID is the child's process id.
func (g *Gateway) PID() int { return g.cmd.Process.Pid }

// Memory is what /proc/PID/status says of a process's resident memory.
type Memory struct {
	RSS, Peak int64 // VmRSS and VmHWM (the high-water mark), in bytes
}

// ReadMemory reads the child's resident set from /proc (Linux only).
func (g *Gateway) ReadMemory() (Memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", g.PID()))
	if err != nil {
		return Memory{}, err
	}
	defer f.Close()
	var m Memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var into *int64
		switch key {
		case "VmRSS":
			into = &m.RSS
		case "VmHWM":
			into = &m.Peak
		default:
			continue
		}
		// "  123456 kB"
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("/proc status %s %q: %w", key, val, err)
		}
		*into = kb << 10
	}
	if err := sc.Err(); err != nil {
		return Memory{}, err
	}
	if m.Peak == 0 {
		return Memory{}, fmt.Errorf("/proc/%d/status: no VmHWM", g.PID())
	}
	return m, nil
}
