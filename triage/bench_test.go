package triage

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

// corpusPhish reads the honeypot phish of the shared corpus, beside the
// checkout, as mails of one IMAP mailbox.
func corpusPhish(b *testing.B) ([]Mail, int64) {
	files, _ := filepath.Glob("../../shared/corpus/phishing_pot/email/*.eml")
	if len(files) == 0 {
		b.Skip("corpus not found")
	}
	var mails []Mail
	var size int64
	for i, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		mails = append(mails, Mail{Raw: raw, Origin: Origin{Mailbox: crashMailbox, UIDValidity: 1, UID: uint32(i + 1)}})
		size += int64(len(raw))
	}
	return mails, size
}

// copies returns n mails made of mails, each copy after the first with a
// Message-ID of its own, so that every one is a new report.
func copies(mails []Mail, n int) ([]Mail, int64) {
	msgID := regexp.MustCompile(`(?im)^message-id:[^\r\n]*`)
	var out []Mail
	var size int64
	for i := range n {
		raw := mails[i%len(mails)].Raw
		if c := i / len(mails); c > 0 {
			id := []byte(fmt.Sprintf("Message-ID: <copy%d.%d@bench.example>", c, i))
			if loc := msgID.FindIndex(raw); loc != nil {
				raw = bytes.Join([][]byte{raw[:loc[0]], id, raw[loc[1]:]}, nil)
			} else {
				raw = append(append(id, "\r\n"...), raw...)
			}
		}
		out = append(out, Mail{Raw: raw, Origin: Origin{Mailbox: crashMailbox, UIDValidity: 1, UID: uint32(i + 1)}})
		size += int64(len(raw))
	}
	return out, size
}

// benchIngest takes the corpus into a fresh store on disk
// (synchronous=FULL) per iteration, with the real parser: the figure of
// `leaguemail ingest`.
func benchIngest(b *testing.B, take func(g *Gateway, mails []Mail)) {
	mails, size := corpusPhish(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		g, err := New(st, Config{Address: league, Domains: []string{"league.example"}, Secret: secret, Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		take(g, mails)
		b.StopTimer()
		if c, _ := st.Counts(context.Background()); c.Origins != len(mails) {
			b.Fatalf("%d origins, want %d", c.Origins, len(mails))
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*len(mails))/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkIngestTake is the corpus taken one Take at a time: one
// transaction and one fsync per mail, one core (the figure before group
// commit).
func BenchmarkIngestTake(b *testing.B) {
	benchIngest(b, func(g *Gateway, mails []Mail) {
		for _, m := range mails {
			if err := g.Take(context.Background(), m.Raw, m.Origin); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIngestBatch is the corpus through TakeBatch, as ingest feeds
// it: batches of 512, groups of 64, a parser per core.
func BenchmarkIngestBatch(b *testing.B) {
	benchIngest(b, func(g *Gateway, mails []Mail) {
		for at := 0; at < len(mails); at += 512 {
			for _, err := range g.TakeBatch(context.Background(), mails[at:min(at+512, len(mails))]) {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

var commitMails = flag.Int("commit.mails", 0, "mails for BenchmarkIngestCommit: the corpus's phish, copied with Message-IDs of their own past the first round (0: the corpus once)")

// BenchmarkIngestCommit is the commit stage alone: the corpus is parsed
// before the timer starts, then committed in groups of 64 into a fresh
// store on disk, on one goroutine, as TakeBatch commits. Its mails/s is
// the ceiling of ingest however many cores parse. With -commit.mails the
// copies of a report correlate with each other, as a campaign's do.
//
//	go test -run '^$' -bench IngestCommit -benchtime 5x ./triage
//	go test -run '^$' -bench IngestCommit -benchtime 1x ./triage -args -commit.mails=10000
func BenchmarkIngestCommit(b *testing.B) {
	mails, size := corpusPhish(b)
	if *commitMails > 0 {
		mails, size = copies(mails, *commitMails)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		g, err := New(st, Config{Address: league, Domains: []string{"league.example"}, Secret: secret, Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		preps := make([]*prepared, len(mails))
		errs := make([]error, len(mails))
		for i, m := range mails {
			preps[i], errs[i] = g.prepare(ctx, m.Raw, m.Origin)
		}
		b.StartTimer()
		for _, gr := range g.groups(mails) {
			if err := g.commitGroup(ctx, preps[gr.start:gr.end], errs[gr.start:gr.end]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if c, _ := st.Counts(ctx); c.Origins != len(mails) {
			b.Fatalf("%d origins, want %d", c.Origins, len(mails))
		}
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*len(mails))/b.Elapsed().Seconds(), "mails/s")
}
