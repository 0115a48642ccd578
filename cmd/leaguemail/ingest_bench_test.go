package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/internal/pgtest"
)

// BenchmarkIngest takes the corpus's .eml files in through `ingest` (parse,
// triage, one store transaction per mail, acknowledgements queued) into a
// fresh store of each kind; mails/s is the intake's throughput. Both
// stores are durable: SQLite with synchronous=FULL, PostgreSQL with fsync
// and synchronous commit (its defaults), on loopback.
//
//	go test -run '^$' -bench Ingest -benchtime 3x ./cmd/leaguemail/
func BenchmarkIngest(b *testing.B) {
	var files []string
	filepath.WalkDir("../../../shared/corpus", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") && len(files) < 200 {
			files = append(files, p)
		}
		return nil
	})
	if len(files) == 0 {
		files, _ = filepath.Glob("../../parser/testdata/*.eml")
	}
	var pg *pgtest.Cluster
	if pgtest.Available() {
		c, err := pgtest.StartClusterWith(pgtest.Options{Durable: true})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Stop()
		pg = c
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			if kind == "postgres" && pg == nil {
				pgtest.Skip(b)
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				where := filepath.Join(b.TempDir(), fmt.Sprintf("b%d.db", i))
				if kind == "postgres" {
					u, err := pg.NewSchema()
					if err != nil {
						b.Fatal(err)
					}
					where = u
				}
				b.StartTimer()
				var out, errb bytes.Buffer
				if code := run(context.Background(), append([]string{"ingest", "--db", where}, files...), &out, &errb); code != 0 {
					b.Fatalf("ingest: %s", errb.String())
				}
			}
			b.ReportMetric(float64(len(files)*b.N)/b.Elapsed().Seconds(), "mails/s")
		})
	}
}
