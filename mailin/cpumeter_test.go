package mailin

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuMeter measures, over the timed part of a benchmark, the CPU this
// process used and the CPU the whole machine used (Dovecot's included): a
// catch-up that leaves cores idle waits on something other than work.
type cpuMeter struct {
	self, machine time.Duration
	selfAt        time.Duration
	machineAt     time.Duration
}

func (m *cpuMeter) start() { m.selfAt, m.machineAt = selfCPU(), machineCPU() }

func (m *cpuMeter) stop() {
	m.self += selfCPU() - m.selfAt
	m.machine += machineCPU() - m.machineAt
}

// report gives the CPU per mail and the cores kept busy, beside mails/s.
func (m *cpuMeter) report(b *testing.B, mails int) {
	b.ReportMetric(float64(m.self.Microseconds())/float64(mails), "cpu-µs/mail")
	b.ReportMetric(float64(m.machine.Microseconds())/float64(mails), "machine-cpu-µs/mail")
	b.ReportMetric(m.machine.Seconds()/b.Elapsed().Seconds(), "busy-cores")
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU sums the busy time of every core from /proc/stat's first
// line (user, nice, system, irq, softirq, steal; not idle nor iowait).
func machineCPU() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
