package triage

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/hostile"
)

// TestHostileMails feeds the mails of package hostile to a gateway with the
// real parser, one after the other: each must be stored and ticketed with
// the parser's reason, and a plain report after them must still open its
// ticket. Time and memory are logged, not asserted (they are measured in
// the note of the issue); -short skips the two largest.
func TestHostileMails(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Parse = nil })
	for i, hm := range hostile.Mails() {
		if testing.Short() && (strings.Contains(hm.Name, "40 MiB") || strings.Contains(hm.Name, "1 GiB")) {
			continue
		}
		t.Run(hm.Name, func(t *testing.T) {
			h.t = t
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			out := h.takeRaw(hm.Raw, Origin{Mailbox: "file:hostile", UID: uint32(i + 1)})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			t.Logf("%s: %.1f MB in %v, %.0f MB allocated, heap %.0f MB after",
				hm.Name, float64(len(hm.Raw))/1e6, took.Round(time.Millisecond),
				float64(after.TotalAlloc-before.TotalAlloc)/1e6, float64(after.HeapInuse)/1e6)
			if out.ticket == 0 {
				t.Fatalf("no ticket: disposition %q", out.disposition)
			}
			m, err := h.st.Mail(h.ctx, out.mail)
			if err != nil {
				t.Fatal(err)
			}
			if hm.Reason == "" {
				return
			}
			found := false
			for _, e := range m.Errors {
				found = found || strings.Contains(e, hm.Reason)
			}
			if !found {
				t.Errorf("the mail's errors %q do not say %q", m.Errors, hm.Reason)
			}
			if !h.hasEvent(out.ticket, "parse-errors", "") {
				t.Errorf("ticket #%d has no parse-errors event", out.ticket)
			}
		})
	}
	h.t = t
	plain := "From: nurse@hospital.example.com\r\nTo: report@league.example\r\nSubject: phish\r\n" +
		"Message-ID: <after-hostile@hospital.example.com>\r\n\r\nhxxps://login-after[.]example[.]com/\r\n"
	out := h.takeRaw([]byte(plain), Origin{Mailbox: "file:hostile", UID: 1000})
	if out.ticket == 0 || out.disposition != "opened" {
		t.Errorf("the report after the hostile mails: %+v", out)
	}
}
