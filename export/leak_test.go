package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// exportAll runs every writer and returns all they wrote.
func exportAll(t *testing.T, ts []Ticket, o Options) map[string]string {
	t.Helper()
	var stix, csv bytes.Buffer
	if err := WriteSTIX(&stix, ts, o); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&csv, ts, o); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "misp")
	if err := WriteMISP(dir, ts, o); err != nil {
		t.Fatal(err)
	}
	var misp strings.Builder
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		misp.Write(b)
	}
	return map[string]string{"stix": stix.String(), "csv": csv.String(), "misp": misp.String()}
}

// TestNoLeak: what is amber or stricter, unverified, or a false positive
// leaves by no format unless asked for, and then by all of them.
func TestNoLeak(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		out  []string
		in   []string
	}{
		{"default", Options{},
			[]string{amberOnly, redOnly, strict, unverified, rejected, noTLP, "tlp:amber", "tlp:red", "f88d31f6-486f-44da-b317-01333bde0b82", "5e57c739-391a-4eb3-b6be-7d15ca92d5ed"},
			// shared.example was verified on a clear ticket too.
			[]string{"bad.example", "green3.example", "CVE-2024-3094", shared}},
		{"all", Options{All: true},
			[]string{amberOnly, shared, redOnly, strict, noTLP},
			[]string{unverified, rejected}},
		{"tlp-max amber", Options{TLPMax: "amber"},
			[]string{redOnly, strict, unverified, rejected, noTLP},
			[]string{amberOnly, shared}},
		{"tlp-max amber+strict", Options{TLPMax: "amber+strict"},
			[]string{redOnly, noTLP},
			[]string{amberOnly, shared, strict}},
		{"tlp-max red, all", Options{TLPMax: "red", All: true},
			nil,
			[]string{amberOnly, shared, redOnly, strict, unverified, rejected, noTLP}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for format, text := range exportAll(t, sample(), c.o) {
				for _, s := range c.out {
					if strings.Contains(text, s) {
						t.Errorf("%s: %s leaked", format, s)
					}
				}
				for _, s := range c.in {
					if !strings.Contains(text, s) {
						t.Errorf("%s: %s missing", format, s)
					}
				}
			}
		})
	}
}

// TestEmpty: with nothing to publish, every format is still valid.
func TestEmpty(t *testing.T) {
	out := exportAll(t, nil, Options{})
	if out["csv"] != "type,value,first_seen,last_seen,tickets,tlp\r\n" {
		t.Errorf("csv: %q", out["csv"])
	}
	if !strings.Contains(out["stix"], `"type": "identity"`) {
		t.Errorf("stix: %s", out["stix"])
	}
	if !strings.HasPrefix(out["misp"], "{}") { // hashes.csv (empty), manifest.json
		t.Errorf("misp: %q", out["misp"])
	}
}
