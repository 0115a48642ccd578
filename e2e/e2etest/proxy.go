package e2etest

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy between the gateway and one of the mail servers
// that cuts connections where a scenario's plan says: in the middle of a
// FETCH answer, during IDLE, half way through the text after DATA. It
// reads the client's command lines (IMAP or SMTP) to know what is in
// flight, asks the plan at each command whether to cut, and counts the
// cuts it made by the command in flight.
type Proxy struct {
	Addr string // 127.0.0.1:port, for the gateway's config

	t      testing.TB
	target string
	imap   bool
	ln     net.Listener
	plan   func(command string) *Cut
	planMu sync.Mutex

	mu    sync.Mutex
	conns int
	cuts  map[string]int
	live  map[*proxyConn]bool
	wg    sync.WaitGroup
}

// Cut says where to cut a connection, counted from the command the plan
// was asked about: the proxy forwards Bytes more bytes in the direction
// Upstream says (true: the client's, false: the server's) and then resets
// both sides, unless the client's next command comes first; or, when
// Delay is set, resets them Delay later whatever flows.
type Cut struct {
	Upstream bool
	Bytes    int64
	Delay    time.Duration
}

// StartProxy listens on a free port of 127.0.0.1 and forwards every
// connection to target; imap says how to read the client's commands
// (IMAP: after a tag; else SMTP). Until a connection is cut, plan is
// asked at its start (command "") and after each command line of the
// client (its name in upper case: "FETCH", "IDLE", "DATA") whether to cut
// it, and where (nil: not now); it is never called concurrently. The
// proxy closes at the end of the test.
func StartProxy(t testing.TB, target string, imap bool, plan func(command string) *Cut) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), t: t, target: target, imap: imap, ln: ln, plan: plan,
		cuts: map[string]int{}, live: map[*proxyConn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.Close)
	return p
}

// Close stops listening and closes every connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	var live []*proxyConn
	for c := range p.live {
		live = append(live, c)
	}
	p.mu.Unlock()
	for _, c := range live {
		c.close()
	}
	p.wg.Wait()
}

// Cuts returns how many connections were cut, by the command in flight.
func (p *Proxy) Cuts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.cuts))
	for k, v := range p.cuts {
		m[k] = v
	}
	return m
}

// Conns returns how many connections the proxy accepted.
func (p *Proxy) Conns() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.t.Logf("proxy %s: accept: %v", p.Addr, err)
			}
			return
		}
		server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			// The server is down: so is the proxy, as the gateway sees it.
			client.Close()
			continue
		}
		p.mu.Lock()
		p.conns++
		c := &proxyConn{p: p, client: client, server: server}
		p.live[c] = true
		p.mu.Unlock()
		c.mu.Lock()
		c.ask(0)
		c.mu.Unlock()
		p.wg.Add(2)
		go c.pump(server, client, true)
		go c.pump(client, server, false)
	}
}

// proxyConn is one proxied connection and the state of its cut.
type proxyConn struct {
	p              *Proxy
	client, server net.Conn

	mu     sync.Mutex
	cut    *Cut
	armed  bool
	left   int64  // bytes still forwarded in the cut's direction, once armed
	last   string // the client's command in flight
	line   []byte // the client's line being read
	done   bool
	closer sync.Once
}

// pump copies src to dst, watching the client's lines when upstream.
func (c *proxyConn) pump(dst, src net.Conn, upstream bool) {
	defer c.p.wg.Done()
	defer c.close()
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		b := buf[:n]
		for len(b) > 0 {
			seg := b
			if upstream {
				// A line at a time, read before it is forwarded: a cut
				// armed by a command then applies to the server's
				// answer from its first byte.
				if i := indexByte(b, '\n'); i >= 0 {
					seg = b[:i+1]
				}
				c.read(seg)
			}
			if !c.forward(dst, seg, upstream) {
				return
			}
			b = b[len(seg):]
		}
		if err != nil {
			return
		}
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// forward writes b to dst, or as much of it as the cut allows and then
// cuts; it reports whether the connection is still up.
func (c *proxyConn) forward(dst net.Conn, b []byte, upstream bool) bool {
	c.mu.Lock()
	cutNow := false
	if c.armed && c.cut.Delay == 0 && c.cut.Upstream == upstream {
		if int64(len(b)) >= c.left {
			b, cutNow = b[:c.left], true
		}
		c.left -= int64(len(b))
	}
	c.mu.Unlock()
	if len(b) > 0 {
		if _, err := dst.Write(b); err != nil {
			return false
		}
	}
	if cutNow {
		c.cutHere()
		return false
	}
	return true
}

// read follows the client's command lines.
func (c *proxyConn) read(seg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.line) < 512 {
		c.line = append(c.line, seg...)
	}
	if seg[len(seg)-1] != '\n' {
		return
	}
	line := strings.TrimRight(string(c.line), "\r\n")
	c.line = c.line[:0]
	if c.last == "DATA" && line != "." {
		return // the mail's text, not a command
	}
	if c.last == "DATA" {
		c.last = "DATA."
		return
	}
	c.last = commandName(line, c.p.imap)
	if c.cut != nil && c.cut.Delay == 0 {
		// A byte count belongs to the answer of the command it was
		// planned for: one that outlived it missed, and the plan is
		// asked again about this command.
		c.cut, c.armed = nil, false
	}
	// The command itself goes through whatever the cut.
	c.ask(int64(len(seg)))
}

// ask asks the plan whether to cut after the command in flight, unless a
// cut is armed already; pending is what is still to be forwarded of the
// command. c.mu is held.
func (c *proxyConn) ask(pending int64) {
	if c.cut != nil || c.p.plan == nil {
		return
	}
	c.p.planMu.Lock()
	c.cut = c.p.plan(c.last)
	c.p.planMu.Unlock()
	if c.cut == nil {
		return
	}
	c.armed, c.left = true, c.cut.Bytes
	if c.cut.Upstream {
		c.left += pending
	}
	if d := c.cut.Delay; d > 0 {
		time.AfterFunc(d, c.cutHere)
	}
}

// cutHere closes both sides and counts the cut under the command in flight.
func (c *proxyConn) cutHere() {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return
	}
	c.done = true
	kind := c.last
	c.mu.Unlock()
	c.close()
	c.p.mu.Lock()
	c.p.cuts[kind]++
	c.p.mu.Unlock()
}

func (c *proxyConn) close() {
	c.closer.Do(func() {
		c.mu.Lock()
		c.done = true
		c.mu.Unlock()
		// A reset, not a polite FIN: what a dead link or a killed
		// server looks like to the other side.
		for _, nc := range []net.Conn{c.client, c.server} {
			if tc, ok := nc.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			nc.Close()
		}
		c.p.mu.Lock()
		delete(c.p.live, c)
		c.p.mu.Unlock()
	})
}

// commandName is the name of a client's command line: after the tag in
// IMAP (and after UID), the first word in SMTP; upper case.
func commandName(line string, imap bool) string {
	f := strings.Fields(line)
	switch {
	case len(f) == 0:
		return ""
	case !imap || len(f) == 1:
		return strings.ToUpper(f[0])
	case strings.EqualFold(f[1], "UID") && len(f) > 2:
		return strings.ToUpper(f[2])
	}
	return strings.ToUpper(f[1])
}
