package e2etest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Gateway is a running `leaguemail serve`.
type Gateway struct {
	URL     string // http://127.0.0.1:port of /healthz and /metrics
	LogFile string // the child's stderr (and stdout)
	Config  string // its --config

	e        *Env
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
	stopping bool
}

// Serve starts `leaguemail serve --config e.Config` and waits until its
// HTTP listener answers. The child is killed at the end of the test if it
// was not stopped, and its log is shown when the test failed.
func (e *Env) Serve() *Gateway {
	e.T.Helper()
	return e.spawn(e.Config, "http://"+e.Data.HTTPListen, filepath.Join(e.Dir, "serve.log"), true)
}

// ServeConfig starts `leaguemail serve --config config`, another gateway
// beside the first (its own HTTP listener at listen, its own log file).
func (e *Env) ServeConfig(config, listen, logFile string) *Gateway {
	e.T.Helper()
	return e.spawn(config, "http://"+listen, logFile, true)
}

// Role returns what /healthz says of the gateway's role, "" when it does
// not answer.
func (g *Gateway) Role() string {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(g.URL + "/healthz")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	var h Health
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return ""
	}
	return h.Role
}

// spawn starts the child, its output appended to logFile, and waits until
// url answers /healthz. showLog prints the log when the test fails; a
// scenario that restarts the gateway many times prints it once.
func (e *Env) spawn(config, url, logFile string, showLog bool) *Gateway {
	e.T.Helper()
	logf, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		e.T.Fatal(err)
	}
	defer logf.Close()
	g := &Gateway{URL: url, LogFile: logFile, Config: config, e: e, exited: make(chan struct{})}
	g.cmd = exec.Command(e.Bin, "serve", "--config", config)
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
		if showLog && e.T.Failed() {
			e.T.Logf("leaguemail serve log (%s):\n%s", g.LogFile, g.Log())
		}
	})
	c := http.Client{Timeout: time.Second}
	if e.HTTPClient != nil {
		c = *e.HTTPClient
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if done, err := g.Exited(); done {
			e.T.Fatalf("leaguemail serve exited at start: %v\n%s", err, g.Log())
		}
		resp, err := c.Get(g.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return g
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("leaguemail serve: no HTTP listener on %s after 20s: %v", g.URL, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ServeHTTPS is Serve for a config whose listener serves HTTPS
// ([http] tls_cert): e.HTTPClient must trust its certificate.
func (e *Env) ServeHTTPS() *Gateway {
	e.T.Helper()
	return e.spawn(e.Config, "https://"+e.Data.HTTPListen, filepath.Join(e.Dir, "serve.log"), true)
}

// Log returns what the child wrote so far.
func (g *Gateway) Log() string {
	b, _ := os.ReadFile(g.LogFile)
	return string(b)
}

// Signal sends sig to the child.
func (g *Gateway) Signal(sig os.Signal) {
	g.e.T.Helper()
	if err := g.cmd.Process.Signal(sig); err != nil {
		g.e.T.Fatalf("e2etest: %v to leaguemail serve: %v", sig, err)
	}
}

// WaitLog waits up to limit for the child's log to contain s.
func (g *Gateway) WaitLog(s string, limit time.Duration) {
	g.e.T.Helper()
	WaitFor(g.e.T, limit, fmt.Sprintf("%q in the log of leaguemail serve", s), func() bool {
		return strings.Contains(g.Log(), s)
	})
}

// Stop sends SIGTERM and waits up to limit for the child to exit. It
// returns the exit status and how long the stop took; a child still
// running after limit is killed and fails the test.
func (g *Gateway) Stop(limit time.Duration) (code int, took time.Duration) {
	g.e.T.Helper()
	start := time.Now()
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		g.e.T.Fatalf("e2etest: SIGTERM to leaguemail serve: %v", err)
	}
	select {
	case <-g.exited:
	case <-time.After(limit):
		g.cmd.Process.Kill()
		<-g.exited
		g.e.T.Fatalf("leaguemail serve still running %v after SIGTERM; killed", limit)
	}
	took = time.Since(start)
	var exit *exec.ExitError
	switch {
	case g.waitErr == nil:
		return 0, took
	case errors.As(g.waitErr, &exit):
		return exit.ExitCode(), took
	}
	g.e.T.Fatalf("e2etest: leaguemail serve: %v", g.waitErr)
	return -1, took
}

// Health is the part of /healthz the scenarios check.
type Health struct {
	Status string `json:"status"`
	IMAP   []struct {
		Mailbox   string `json:"mailbox"`
		Connected bool   `json:"connected"`
		LastError string `json:"last_error"`
	} `json:"imap"`
	SMTP struct {
		LastResult string `json:"last_result"`
	} `json:"smtp"`
	Store    string   `json:"store"`
	Role     string   `json:"role"`
	Leader   string   `json:"leader"`
	Problems []string `json:"problems"`
}

// Healthz fetches /healthz: its status code, the decoded answer and the
// raw body for messages.
func (g *Gateway) Healthz() (int, Health, string) {
	g.e.T.Helper()
	body, code := g.get("/healthz")
	var h Health
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		g.e.T.Fatalf("/healthz: %v\n%s", err, body)
	}
	return code, h, body
}

func (g *Gateway) get(path string) (string, int) {
	g.e.T.Helper()
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(g.URL + path)
	if err != nil {
		g.e.T.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.e.T.Fatalf("GET %s: %v", path, err)
	}
	return string(b), resp.StatusCode
}

// Sample is one line of the Prometheus text format.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Metrics fetches /metrics and reads its samples. The text format is
// read here rather than with prometheus/common, so that a scenario checks
// what a scraper sees, line by line.
func (g *Gateway) Metrics() []Sample {
	g.e.T.Helper()
	body, code := g.get("/metrics")
	if code != http.StatusOK {
		g.e.T.Fatalf("/metrics: status %d\n%s", code, body)
	}
	ss, err := ParseMetrics(body)
	if err != nil {
		g.e.T.Fatalf("/metrics: %v", err)
	}
	return ss
}

// ParseMetrics reads the Prometheus text exposition format (version
// 0.0.4): name{label="value",...} value, comments skipped.
func ParseMetrics(text string) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s := Sample{Labels: map[string]string{}}
		rest := line
		if i := strings.IndexAny(line, "{ "); i >= 0 && line[i] == '{' {
			s.Name = line[:i]
			j := strings.LastIndexByte(line, '}')
			if j < i {
				return nil, fmt.Errorf("line %d: unclosed labels: %q", n, line)
			}
			if err := parseLabels(line[i+1:j], s.Labels); err != nil {
				return nil, fmt.Errorf("line %d: %v: %q", n, err, line)
			}
			rest = strings.TrimSpace(line[j+1:])
		} else {
			s.Name, rest, _ = strings.Cut(line, " ")
		}
		val, _, _ := strings.Cut(strings.TrimSpace(rest), " ") // a timestamp may follow
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: value: %v", n, err)
		}
		s.Value = v
		out = append(out, s)
	}
	return out, sc.Err()
}

func parseLabels(s string, into map[string]string) error {
	for s = strings.TrimSpace(s); s != ""; {
		name, rest, ok := strings.Cut(s, "=")
		if !ok || !strings.HasPrefix(rest, `"`) {
			return fmt.Errorf("bad label %q", s)
		}
		// The value is a quoted string with \\, \" and \n escapes.
		var v strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
				if rest[i] == 'n' {
					v.WriteByte('\n')
					continue
				}
			}
			v.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return fmt.Errorf("unclosed label value")
		}
		into[strings.TrimSpace(name)] = v.String()
		s = strings.TrimPrefix(strings.TrimSpace(rest[i+1:]), ",")
		s = strings.TrimSpace(s)
	}
	return nil
}

// Value sums the samples named name whose labels include those given as
// "key", "value" pairs; found says whether any sample matched.
func Value(ss []Sample, name string, labels ...string) (sum float64, found bool) {
next:
	for _, s := range ss {
		if s.Name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if s.Labels[labels[i]] != labels[i+1] {
				continue next
			}
		}
		sum += s.Value
		found = true
	}
	return sum, found
}
