package mailin

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
)

// phishingDir holds the real phishing mails of the shared corpus.
const phishingDir = "../../shared/corpus/phishing_pot/email"

// corpusMails reads up to n mails of the corpus, smallest first skipped:
// real ones, as a league receives them (1 KiB to 1 MiB).
func corpusMails(b *testing.B, n int) [][]byte {
	names, _ := filepath.Glob(filepath.Join(phishingDir, "*.eml"))
	if len(names) == 0 {
		b.Skipf("no corpus at %s", phishingDir)
	}
	slices.Sort(names)
	var out [][]byte
	for _, name := range names {
		raw, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		if len(raw) < 1<<10 || len(raw) > 1<<20 {
			continue
		}
		out = append(out, raw)
		if len(out) == n {
			break
		}
	}
	return out
}

// BenchmarkDovecotCatchUp measures the intake alone (into an in-memory
// sink, no parse, no store) catching up a Dovecot mailbox: "corpus" is
// 500 real phishing mails, "large" 6 mails of 20 MiB, which the byte
// bound fetches one or two at a time. Each op is one whole catch-up:
// connect, size, fetch, take, move. Run with
//
//	go test -run '^$' -bench DovecotCatchUp -benchmem ./mailin
func BenchmarkDovecotCatchUp(b *testing.B) {
	large := bytes.Repeat([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=\r\n"), 20<<20/46)
	for _, bc := range []struct {
		name  string
		mails func() [][]byte
	}{
		{"corpus", func() [][]byte { return corpusMails(b, 500) }},
		{"large", func() [][]byte {
			var out [][]byte
			for i := range 6 {
				out = append(out, append(fmt.Appendf(nil, "Message-ID: <large-%d@bench.example>\r\nSubject: large\r\n\r\n", i), large...))
			}
			return out
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			mails := bc.mails()
			var size int64
			for _, m := range mails {
				size += int64(len(m))
			}
			s := dovecottest.Start(b)
			b.SetBytes(size)
			b.ResetTimer()
			var taken time.Duration
			for i := range b.N {
				b.StopTimer()
				for j, m := range mails {
					// Other bytes each round, as new mail would be.
					s.Deliver(report, append(fmt.Appendf(nil, "X-Round: %d-%d\r\n", i, j), m...))
				}
				sink := newMemSink()
				in := mustNew(b, fastConfig(s.URL(report), slog.New(slog.DiscardHandler)), sink)
				b.StartTimer()
				start := time.Now()
				stop := running(b, in)
				for sink.count() < len(mails) || s.FolderFiles(report, "INBOX") > 0 {
					time.Sleep(time.Millisecond)
				}
				taken += time.Since(start)
				b.StopTimer()
				stop()
				b.StartTimer()
			}
			b.ReportMetric(float64(len(mails)*b.N)/taken.Seconds(), "mails/s")
		})
	}
}
