package mailin

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/internal/pgtest"
)

var catchUpMails = flag.Int("catchup.mails", 10000, "corpus mails waiting in the mailbox for BenchmarkDovecotCatchUpCorpus")

// corpusCopies returns how to make each of n mails made of the honeypot
// phish of the shared corpus, each copy after the first with a Message-ID
// of its own, so that every one is parsed, triaged and ticketed as a new
// report, and their size in all. A copy is made when it is delivered and
// dropped after: holding 10,000 of them (370 MB) in the heap the intake
// runs in made its collector work for the benchmark, not for the intake.
func corpusCopies(b *testing.B, n int) (func(i int) []byte, int64) {
	files, _ := filepath.Glob("../../shared/corpus/phishing_pot/email/*.eml")
	if len(files) == 0 {
		b.Skip("corpus not found")
	}
	var corpus [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		corpus = append(corpus, raw)
	}
	// Where each corpus mail's Message-ID field is, found once: the
	// copies of a mail differ from it only there.
	msgID := regexp.MustCompile(`(?im)^message-id:[^\r\n]*`)
	locs := make([][]int, len(corpus))
	for k, raw := range corpus {
		locs[k] = msgID.FindIndex(raw)
	}
	id := func(i int) []byte {
		return []byte(fmt.Sprintf("Message-ID: <copy%d.%d@bench.example>", i/len(corpus), i))
	}
	mail := func(i int) []byte {
		k := i % len(corpus)
		raw, loc := corpus[k], locs[k]
		switch {
		case i < len(corpus):
			return raw
		case loc != nil:
			return bytes.Join([][]byte{raw[:loc[0]], id(i), raw[loc[1]:]}, nil)
		}
		return append(append(id(i), "\r\n"...), raw...)
	}
	var size int64
	for i := range n {
		k := i % len(corpus)
		size += int64(len(corpus[k]))
		switch loc := locs[k]; {
		case i < len(corpus):
		case loc != nil:
			size += int64(len(id(i)) - (loc[1] - loc[0]))
		default:
			size += int64(len(id(i)) + 2)
		}
	}
	return mail, size
}

// oneByOne hides a sink's TakeBatch: the intake as it was, one Take and
// one fsync per mail.
type oneByOne struct{ Sink }

// noBegin hides a sink's Begin: each batch parsed only once the one
// before it committed.
type noBegin struct{ BatchSink }

// BenchmarkDovecotCatchUpCorpus is the catch-up of -catchup.mails corpus
// mails (10,000 by default) waiting in a real Dovecot's INBOX, through
// triage into a store on disk (synchronous=FULL), parse included, until
// the INBOX is empty: every mail committed and moved. "group" is the
// intake with group commits, "one-by-one" the same with a Take per mail;
// "no-begin" with group commits but each batch parsed only after the
// one before it committed; "sqlite" a store file, "postgres" Debian's
// PostgreSQL on loopback with its durable defaults (fsync,
// synchronous_commit), as issue 21 asks them side by side. Run it with
// -benchtime 1x: each iteration fills a new mailbox. `leaguemail serve`
// runs its collector at GOGC 400 under a 256 MiB limit
// (cmd/leaguemail/gc.go): GOGC=400 GOMEMLIMIT=256MiB in the environment
// measures the intake as serve runs it. Beside mails/s it
// reports the CPU this process spent per mail, the whole machine's
// (Dovecot's included), and the cores the machine kept busy: fewer than it
// has means a stage waited.
//
//	LEAGUEMAIL_E2E=1 go test -c -o /tmp/mailin.test ./mailin && cd mailin &&
//	GOGC=400 GOMEMLIMIT=256MiB /tmp/mailin.test -test.run XXX -test.benchtime 1x \
//	  -test.bench 'BenchmarkDovecotCatchUpCorpus/group/sqlite'
func BenchmarkDovecotCatchUpCorpus(b *testing.B) {
	n := *catchUpMails
	mail, size := corpusCopies(b, n)
	var pg *pgtest.Cluster // one cluster for both postgres runs
	outer := b
	for _, name := range []string{"group/sqlite", "no-begin/sqlite", "one-by-one/sqlite", "group/postgres", "one-by-one/postgres"} {
		mode, backend, _ := strings.Cut(name, "/")
		b.Run(name, func(b *testing.B) {
			if backend == "postgres" && pg == nil {
				if !pgtest.Available() {
					pgtest.Skip(b)
				}
				c, err := pgtest.StartClusterWith(pgtest.Options{Durable: true})
				if err != nil {
					b.Fatal(err)
				}
				pg = c
				outer.Cleanup(c.Stop)
			}
			b.SetBytes(size)
			var cpu cpuMeter
			for b.Loop() {
				b.StopTimer()
				s := dovecottest.Start(b)
				for i := range n {
					s.Deliver(report, mail(i))
				}
				log := slog.New(slog.NewTextHandler(io.Discard, nil))
				where := filepath.Join(b.TempDir(), "store.db")
				if backend == "postgres" {
					where = pg.Schema(b)
				}
				ts, st, err := newTriageSink(where, nil, log)
				if err != nil {
					b.Fatal(err)
				}
				var sink Sink = ts
				switch mode {
				case "one-by-one":
					sink = oneByOne{ts}
				case "no-begin":
					sink = noBegin{ts}
				}
				cfg := Config{URL: s.URL(report), RetryMin: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond, Logger: log}
				in, err := New(cfg, sink)
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				cpu.start()
				go func() { done <- in.Run(ctx) }()
				for !inboxEmpty(s) {
					time.Sleep(20 * time.Millisecond)
				}
				cpu.stop()
				b.StopTimer()
				cancel()
				<-done
				c, err := st.Counts(context.Background())
				if err != nil || c.Origins != n {
					b.Fatalf("%d origins in the store (%v), want %d", c.Origins, err, n)
				}
				st.Close()
				s.Stop()
				b.StartTimer()
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "mails/s")
			cpu.report(b, b.N*n)
		})
	}
}

// inboxEmpty reports whether the INBOX's Maildir holds no message file. It
// reads one name from each of cur and new: counting them all (FolderFiles)
// every 20 ms took a tenth of the CPU of the catch-up it waited for.
func inboxEmpty(s *dovecottest.Server) bool {
	for _, sub := range []string{"cur", "new"} {
		f, err := os.Open(filepath.Join(s.Maildir(report), sub))
		if err != nil {
			return false
		}
		names, _ := f.Readdirnames(1)
		f.Close()
		if len(names) > 0 {
			return false
		}
	}
	return true
}
