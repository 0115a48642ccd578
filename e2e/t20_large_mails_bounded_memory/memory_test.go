// Package t20_large_mails_bounded_memory proves that catching up a mailbox
// of large mails stays within a memory bound: with many reports of about
// 40 MiB each waiting in the contact mailbox (a hospital's report with a
// packet capture attached), `leaguemail serve` with the default [imap]
// batch_bytes takes them all in, one ticket each, while its peak resident
// set (VmHWM in /proc/PID/status) stays under 512 MiB, far below the
// mailbox's total. The bound is on memory, not on time.
package t20_large_mails_bounded_memory

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	mailSize = 40 << 20  // each report, base64 attachment included
	rssBound = 512 << 20 // the bound for the whole catch-up
)

// count is how many large reports wait: 24 (about 960 MiB, near twice the
// bound, so that a catch-up fetching by count alone would cross it) to
// keep CI's run short, or LEAGUEMAIL_T20_MAILS, 100 for the full
// case (about 4 GiB, some minutes).
func count(t *testing.T) int {
	n := 24
	if s := os.Getenv("LEAGUEMAIL_T20_MAILS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("LEAGUEMAIL_T20_MAILS=%q: want a positive number", s)
		}
		n = v
	}
	return n
}

// capture is the attachment: pseudo-random bytes, as incompressible as a
// real capture, base64 in lines of 76 (RFC 2045 section 6.8).
func capture(size int) []byte {
	r := rand.New(rand.NewPCG(20, 40))
	// 57 bytes make a line of 76 characters and CRLF.
	bin := make([]byte, size/78*57)
	for i := 0; i+8 <= len(bin); i += 8 {
		v := r.Uint64()
		for j := range 8 {
			bin[i+j] = byte(v >> (8 * j))
		}
	}
	enc := base64.StdEncoding.EncodeToString(bin)
	var b bytes.Buffer
	b.Grow(len(enc) + len(enc)/76*2 + 2)
	for len(enc) > 76 {
		b.WriteString(enc[:76])
		b.WriteString("\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	b.WriteString("\r\n")
	return b.Bytes()
}

// largeReport is report i: a hospital SOC's words with indicators, and the
// capture attached. Only the headers and the text differ between reports.
func largeReport(i int, from string, att []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(att) + 2048)
	fmt.Fprintf(&b, "From: Hospital SOC <%s>\r\nTo: %s\r\nSubject: Phishing wave %d, packet capture attached\r\n"+
		"Message-ID: <t20-%d@hospital-a.example>\r\nDate: Mon, 23 Nov 2026 09:%02d:00 +0000\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=\"t20-boundary\"\r\n\r\n"+
		"--t20-boundary\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Hello league,\r\n\r\nWave %d of the invoice phish reached our staff today. The link went to\r\n"+
		"hxxps://invoice-%d.portal-cloudfiles[.]com/view and the payload called home to 45.133.1.%d.\r\n"+
		"The capture of the session is attached.\r\n\r\nSOC, Hospital A\r\n"+
		"--t20-boundary\r\nContent-Type: application/vnd.tcpdump.pcap; name=\"wave-%d.pcap\"\r\n"+
		"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"wave-%d.pcap\"\r\n\r\n",
		from, e2etest.Address, i, i, i%60, i, i, 10+i%200, i, i)
	b.Write(att)
	b.WriteString("--t20-boundary--\r\n")
	return b.Bytes()
}

func TestLargeMailsBoundedMemory(t *testing.T) {
	began := time.Now()
	n := count(t)
	hospitals := e2etest.Hospitals(1)
	e := e2etest.Start(t, hospitals...)
	att := capture(mailSize - 2048)
	var total int64
	for i := range n {
		raw := largeReport(i, hospitals[0], att)
		total += int64(len(raw))
		e.Dovecot.Deliver(e2etest.Address, raw)
	}
	t.Logf("%d reports of %.1f MiB waiting, %.0f MiB in all (written in %v)",
		n, float64(total)/float64(n)/(1<<20), float64(total)/(1<<20), time.Since(began).Round(time.Second))

	gw := e.Serve()
	start := time.Now()
	var peak int64
	e2etest.WaitFor(t, time.Duration(n)*6*time.Second+time.Minute, "every report taken and moved to Processed", func() bool {
		if m, err := gw.ReadMemory(); err == nil {
			peak = max(peak, m.Peak)
		}
		return e.Dovecot.FolderFiles(e2etest.Address, "Processed") == n
	}, func() string {
		return fmt.Sprintf("%d of %d in Processed, %d in INBOX", e.Dovecot.FolderFiles(e2etest.Address, "Processed"), n,
			e.Dovecot.FolderFiles(e2etest.Address, "INBOX"))
	})
	took := time.Since(start)
	m, err := gw.ReadMemory()
	if err != nil {
		t.Fatal(err)
	}
	peak = max(peak, m.Peak)
	t.Logf("caught up %d reports (%.0f MiB) in %v; peak RSS (VmHWM) %.0f MiB, RSS now %.0f MiB; scenario %v",
		n, float64(total)/(1<<20), took.Round(time.Second), float64(peak)/(1<<20), float64(m.RSS)/(1<<20), time.Since(began).Round(time.Second))
	if peak > rssBound {
		t.Errorf("peak RSS %.0f MiB while catching up, over the bound of %d MiB", float64(peak)/(1<<20), rssBound>>20)
	}
	if code, _ := gw.Stop(30 * time.Second); code != 0 {
		t.Errorf("serve exited %d after SIGTERM", code)
	}
	if got := len(e.Tickets()); got != n {
		t.Errorf("%d tickets, want one per report: %d", got, n)
	}
	if left := e.Dovecot.FolderFiles(e2etest.Address, "INBOX"); left != 0 {
		t.Errorf("%d reports left in INBOX", left)
	}
}
