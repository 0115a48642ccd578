package sla

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkTick is one check of the clocks over 500 open tickets, each
// reminded already: what every tick of a busy gateway costs, inside the
// store's one write transaction.
func BenchmarkTick(b *testing.B) {
	h := newHarness(b)
	for i := range 500 {
		h.seq++
		from := fmt.Sprintf("soc@hospital-%d.example", i%40)
		raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: report %d\r\nMessage-ID: <b%d@hospital.example>\r\n\r\nhttp://bad-%d.phish.com/x and http://shared.phish.com/\r\n", from, league, i, i, i%50)
		if err := h.g.Take(h.ctx, []byte(raw), storeOrigin(uint32(h.seq))); err != nil {
			b.Fatal(err)
		}
	}
	h.now = t0.Add(time.Hour)
	if _, err := h.mon.Tick(h.ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.mon.Tick(h.ctx); err != nil {
			b.Fatal(err)
		}
	}
}
