package takedown

import (
	"os"
	"testing"

	"github.com/openrdap/rdap"
)

// BenchmarkDecode reads a registry's domain answer and finds its abuse
// contact: the cost per looked-up domain, besides the network.
func BenchmarkDecode(b *testing.B) {
	body, err := os.ReadFile("testdata/rdap/domain-evil.example.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		obj, err := Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := domainAbuse(obj.(*rdap.Domain)); !ok {
			b.Fatal("no abuse contact")
		}
	}
}

// BenchmarkJob works one #takedown of a URL and its domain against the
// loopback RDAP server, resolver and store: look-ups, the mails queued,
// the confirmation.
func BenchmarkJob(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b, func(c *Config) { c.Checker = nil })
		f.report()
		f.triager("#verify", "#takedown")
		b.StartTimer()
		if err := f.svc.WorkJobs(f.ctx); err != nil {
			b.Fatal(err)
		}
	}
}
