package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/hospital-league/leaguemail/store"
)

// exportStore makes a store with a green ticket (one verified indicator,
// one not) and an amber one, reported by a person whose name and address
// must appear in no feed.
func exportStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "league.db")
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Hour).UTC()
	err = st.Update(ctx, func(tx *store.Tx) error {
		for i, tk := range []struct{ tlp, value string }{{"green", "bad.example"}, {"amber", "amber-only.example"}} {
			from := "jane.doe@st-mary-hospital.example"
			mail, err := tx.InsertMail(ctx, &store.Mail{SHA256: tk.value, From: from, Subject: "Jane Doe: odd invoice", ReceivedAt: at}, []byte(tk.value))
			if err != nil {
				return err
			}
			n, err := tx.OpenTicket(ctx, &store.Ticket{Reporter: from, ReporterName: "Jane Doe", Subject: "Jane Doe: odd invoice",
				TLP: tk.tlp, Severity: "high", OpenedBy: mail, CreatedAt: at}, store.Event{Actor: from, Mail: mail})
			if err != nil {
				return err
			}
			ss := []store.Sighting{{Type: "domain", Value: tk.value, Layer: "evidence"}}
			if i == 0 {
				ss = append(ss, store.Sighting{Type: "url", Value: "http://unverified.example/x", Layer: "evidence"})
			}
			if err := tx.AddSightings(ctx, n, mail, ss, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// A triager verified the domains on their tickets.
	raw, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO verifications (indicator, ticket, by, at) SELECT s.indicator, s.ticket, 'test', s.first_seen FROM sightings s JOIN indicators i ON i.id = s.indicator WHERE i.type = 'domain'`); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestExportCommand(t *testing.T) {
	db := exportStore(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		// in and out must and must not be in what was written.
		in, out []string
		file    string // what was written, if not stdout
	}{
		{"stix to stdout", []string{"--format", "stix", "--out", "-"}, 0,
			[]string{`"type": "bundle"`, "[domain-name:value = 'bad.example']"}, []string{"unverified.example", "amber-only", "Jane", "st-mary"}, ""},
		{"csv to a file", []string{"--format", "csv", "--out", filepath.Join(dir, "feed.csv")}, 0,
			[]string{"domain,bad.example,"}, []string{"unverified.example", "amber-only"}, "feed.csv"},
		{"csv, all and amber", []string{"--format", "csv", "--out", "-", "--all", "--tlp-max", "amber"}, 0,
			[]string{"bad.example", "unverified.example", "amber-only.example"}, nil, ""},
		{"misp folder", []string{"--format=misp", "--out", filepath.Join(dir, "misp"), "--since", "30d"}, 0,
			[]string{`"tlp:green"`, `"value": "bad.example"`}, []string{"unverified.example", "amber-only", "Jane", "st-mary"}, "misp"},
		{"since excludes", []string{"--format", "csv", "--out", "-", "--since", time.Now().Add(time.Hour).Format(time.RFC3339)}, 0,
			nil, []string{"bad.example"}, ""},
		{"misp to stdout", []string{"--format", "misp", "--out", "-"}, 2, nil, nil, ""},
		{"no format", []string{"--out", "-"}, 2, nil, nil, ""},
		{"unknown format", []string{"--format", "xml", "--out", "-"}, 2, nil, nil, ""},
		{"no out", []string{"--format", "csv"}, 2, nil, nil, ""},
		{"bad tlp", []string{"--format", "csv", "--out", "-", "--tlp-max", "purple"}, 2, nil, nil, ""},
		{"bad since", []string{"--format", "csv", "--out", "-", "--since", "last week"}, 2, nil, nil, ""},
		{"stray argument", []string{"--format", "csv", "--out", "-", "extra"}, 2, nil, nil, ""},
		{"unwritable out", []string{"--format", "stix", "--out", filepath.Join(dir, "no", "such", "x.json")}, 1, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"export", "--db", db}, tt.args...)
			code := run(context.Background(), args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, errb.String())
			}
			if code != 0 {
				if strings.Count(errb.String(), "\n") != 1 || !strings.HasPrefix(errb.String(), "leaguemail export: ") {
					t.Errorf("stderr must be one line: %q", errb.String())
				}
				return
			}
			written := out.String()
			if tt.file != "" {
				written = readTree(t, filepath.Join(dir, tt.file))
				if !strings.Contains(out.String(), "written to") {
					t.Errorf("no summary: %q", out.String())
				}
			}
			for _, s := range tt.in {
				if !strings.Contains(written, s) {
					t.Errorf("%q missing from\n%s", s, written)
				}
			}
			for _, s := range tt.out {
				if strings.Contains(written, s) {
					t.Errorf("%q leaked into\n%s", s, written)
				}
			}
		})
	}
}

func TestExportNoStore(t *testing.T) {
	var out, errb bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nothing.db")
	code := run(context.Background(), []string{"export", "--db", missing, "--format", "csv", "--out", "-"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "--db") {
		t.Errorf("exit %d, stderr %q; want 1 naming --db", code, errb.String())
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("export created a store")
	}
}

func TestExportCSVShape(t *testing.T) {
	db := exportStore(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"export", "--db", db, "--format", "csv", "--out", "-"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || strings.Join(rows[0], ",") != "type,value,first_seen,last_seen,tickets,tlp" ||
		rows[1][0] != "domain" || rows[1][4] != "1" || rows[1][5] != "green" {
		t.Errorf("rows %q", rows)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"30d", now.Add(-30 * 24 * time.Hour), true},
		{"12h", now.Add(-12 * time.Hour), true},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), true},
		{"2026-11-01T08:00:00+01:00", time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), true},
		{"-3d", time.Time{}, false},
		{"d", time.Time{}, false},
		{"soon", time.Time{}, false},
	} {
		got, err := parseSince(c.in, now)
		if (err == nil) != c.ok || (c.ok && !got.Equal(c.want)) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// readTree returns a file's content, or the contents of a folder's files.
func readTree(t *testing.T, path string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(path, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
