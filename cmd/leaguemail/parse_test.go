package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCommand(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.bin")
	if err := os.WriteFile(junk, []byte{0, 1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	mail := "../../parser/testdata/defanged-freetext.eml"
	tests := []struct {
		name  string
		args  []string
		code  int
		lines int
	}{
		{"json", []string{"parse", "--json", mail}, 0, 1},
		{"summary", []string{"parse", mail}, 0, 0},
		{"no files", []string{"parse"}, 2, 0},
		{"bad flag", []string{"parse", "--nope", mail}, 2, 0},
		// A file that is no mail still gets its line, and the exit says so.
		{"junk among mails", []string{"parse", "--json", mail, junk, "/nonexistent.eml"}, 1, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, errb.String())
			}
			if code != 0 && strings.Count(errb.String(), "\n") != 1 {
				t.Errorf("stderr must be one line: %q", errb.String())
			}
			if tt.lines == 0 {
				return
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != tt.lines {
				t.Fatalf("%d lines, want %d: %s", len(lines), tt.lines, out.String())
			}
			for _, l := range lines {
				var obj map[string]any
				if err := json.Unmarshal([]byte(l), &obj); err != nil {
					t.Fatalf("not JSON: %v: %s", err, l)
				}
				// The fields of DESIGN.md's parse contract, always present.
				for _, k := range []string{"file", "message_id", "from", "subject", "date", "kind", "ticket_ref", "commands", "attachments", "indicators", "errors"} {
					if _, ok := obj[k]; !ok {
						t.Errorf("field %q missing in %s", k, l)
					}
				}
			}
		})
	}
}

func TestParseCommandSummaryDefangs(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"parse", "../../parser/testdata/defanged-freetext.eml"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "hxxp://update-check[.]example[.]net/kb5031/setup.exe") {
		t.Errorf("the summary does not show the URL defanged:\n%s", s)
	}
	if strings.Contains(s, "http://update-check.example.net") {
		t.Errorf("the summary shows a live URL:\n%s", s)
	}
}

// TestParseParallelSameOutput parses a folder of real mail (bounces of a
// hundred MTAs, junk among them) with one worker and with four: the JSON
// lines, the summary and the exit code are the same, byte for byte.
func TestParseParallelSameOutput(t *testing.T) {
	dir := "../../../shared/corpus/sisimai-set-of-emails/maildir/bsd"
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) < 50 {
		t.Skipf("corpus not found at %s", dir)
	}
	files = append(files, "/nonexistent.eml", files[0])
	for _, mode := range [][]string{{"--json"}, {}} {
		var outs [2]string
		var codes [2]int
		for k, j := range []string{"1", "4"} {
			var out, errb bytes.Buffer
			args := append(append([]string{"parse", "-j", j}, mode...), files...)
			codes[k] = run(context.Background(), args, &out, &errb)
			outs[k] = out.String()
		}
		if codes[0] != codes[1] || codes[0] != 1 {
			t.Errorf("%v: exit %d with -j 1, %d with -j 4; want 1 for the missing file", mode, codes[0], codes[1])
		}
		if outs[0] != outs[1] {
			t.Errorf("%v: -j 4 output differs from -j 1", mode)
		}
		if len(mode) > 0 && strings.Count(outs[0], "\n") != len(files) {
			t.Errorf("%d lines for %d files", strings.Count(outs[0], "\n"), len(files))
		}
	}
}
