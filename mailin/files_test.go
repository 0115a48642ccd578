package mailin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const corpus = "../../shared/corpus"

func needCorpus(t *testing.T, rel string) string {
	p := filepath.Join(corpus, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("corpus %s absent", p)
	}
	return p
}

func readAll(t *testing.T, paths ...string) (raws [][]byte, origins []Origin) {
	t.Helper()
	err := ReadFiles(context.Background(), paths, func(raw []byte, o Origin) error {
		raws = append(raws, raw)
		origins = append(origins, o)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFiles: %v", err)
	}
	return raws, origins
}

func TestReadMboxCorpus(t *testing.T) {
	dir := needCorpus(t, "sisimai-set-of-emails/mailbox")
	for _, tc := range []struct {
		file string
		want int
	}{
		{"mbox-0", 37}, // CRLF
		{"mbox-1", 1},
		{"size-0", 0},
		{"size-1", 0},
		{"size-2", 1}, // "22\n": not an mbox, and not mail either; the parser says so
	} {
		raws, origins := readAll(t, filepath.Join(dir, tc.file))
		if len(raws) != tc.want {
			t.Errorf("%s: %d messages, want %d", tc.file, len(raws), tc.want)
		}
		for i, raw := range raws {
			if tc.file == "size-2" {
				continue
			}
			if bytes.HasPrefix(raw, []byte("From ")) || !bytes.Contains(raw, []byte("Received:")) && !bytes.Contains(raw, []byte("From:")) {
				t.Errorf("%s #%d does not start with headers: %.60q", tc.file, i, raw)
			}
			if !strings.HasPrefix(origins[i].Mailbox, "file:/") || !strings.HasSuffix(origins[i].Mailbox, "#"+itoa(i)) {
				t.Errorf("%s #%d: origin %q", tc.file, i, origins[i].Mailbox)
			}
		}
	}

	// Netscape's "From - " separators, some with no empty line before them.
	mk := needCorpus(t, "mimekit/UnitTests/TestData/mbox")
	for _, tc := range []struct {
		file, summary string
		want          int
	}{
		{"simple.mbox.txt", "", 3},
		{"content-length.mbox.txt", "content-length-summary.txt", 0},
		{"issue1189.mbox.txt", "", 4},
		{"unmunged.mbox.txt", "", 2}, // a BOM, and "From Russia with love" in the bodies
	} {
		raws, _ := readAll(t, filepath.Join(mk, tc.file))
		want := tc.want
		if tc.summary != "" {
			b, err := os.ReadFile(filepath.Join(mk, tc.summary))
			if err != nil {
				t.Fatal(err)
			}
			want = bytes.Count(b, []byte("From - "))
		}
		if len(raws) != want {
			t.Errorf("%s: %d messages, want %d", tc.file, len(raws), want)
		}
		if tc.file == "unmunged.mbox.txt" && len(raws) == 2 && !bytes.Contains(raws[1], []byte("\nFrom Russia with love\nYear: 1963")) {
			t.Errorf("%s: the body line lost: %q", tc.file, raws[1])
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestReadMboxLineEnds(t *testing.T) {
	dir := t.TempDir()
	msgs := []string{
		"From: a@example\nSubject: one\n\n>From the start\n>>From quoted twice\nbody\n",
		"From: b@example\nSubject: two\n\nbody two\n",
	}
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		var mbox string
		for _, m := range msgs {
			mbox += "From sender@example Mon Nov 23 10:00:00 2026\n" + m + "\n"
		}
		mbox = strings.ReplaceAll(mbox, "\n", eol)
		p := filepath.Join(dir, "box")
		if err := os.WriteFile(p, []byte(mbox), 0o644); err != nil {
			t.Fatal(err)
		}
		raws, _ := readAll(t, p)
		if len(raws) != 2 {
			t.Fatalf("eol %q: %d messages, want 2", eol, len(raws))
		}
		want0 := strings.ReplaceAll("From: a@example\nSubject: one\n\nFrom the start\n>From quoted twice\nbody\n", "\n", eol)
		if string(raws[0]) != want0 {
			t.Errorf("eol %q: first message %q, want %q", eol, raws[0], want0)
		}
		if want1 := strings.ReplaceAll(msgs[1], "\n", eol); string(raws[1]) != want1 {
			t.Errorf("eol %q: second message %q, want %q", eol, raws[1], want1)
		}
	}
}

func TestReadMaildirAndFolders(t *testing.T) {
	dir := t.TempDir()
	md := filepath.Join(dir, "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o755)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(md, "cur", "1.a:2,S"), "Subject: cur\n\nx\n")
	write(filepath.Join(md, "new", "2.b"), "Subject: new\n\nx\n")
	write(filepath.Join(md, "tmp", "3.c"), "Subject: unfinished\n\nx\n")
	write(filepath.Join(dir, "one.eml"), "Subject: eml\n\nx\n")
	raws, origins := readAll(t, md, filepath.Join(dir, "one.eml"))
	var subjects []string
	for _, r := range raws {
		subjects = append(subjects, strings.SplitN(string(r), "\n", 2)[0])
	}
	if got := strings.Join(subjects, ","); got != "Subject: cur,Subject: new,Subject: eml" {
		t.Errorf("read %s", got)
	}
	if want := "file:" + filepath.Join(dir, "one.eml"); origins[2].Mailbox != want {
		t.Errorf("origin %q, want %q", origins[2].Mailbox, want)
	}

	// A folder holding a Maildir among other files reads both.
	raws, _ = readAll(t, dir)
	if len(raws) != 3 {
		t.Errorf("folder: %d messages, want 3", len(raws))
	}
}

func TestReadFilesCorpusFolders(t *testing.T) {
	dir := needCorpus(t, "sisimai-set-of-emails/maildir")
	var files int
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, _ := os.ReadFile(p); len(bytes.TrimSpace(b)) > 0 && !bytes.HasPrefix(b, []byte("From ")) {
				files++
			}
		}
		return nil
	})
	raws, _ := readAll(t, dir)
	if len(raws) < files || files < 500 {
		t.Errorf("read %d messages from %d non-empty files", len(raws), files)
	}
}

func TestReadFilesStops(t *testing.T) {
	dir := needCorpus(t, "sisimai-set-of-emails/mailbox")
	n := 0
	stop := os.ErrClosed
	err := ReadFiles(context.Background(), []string{filepath.Join(dir, "mbox-0")}, func([]byte, Origin) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if n != 3 || err == nil || !strings.Contains(err.Error(), "#2") {
		t.Errorf("after %d messages: %v; want to stop at the third, naming it", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ReadFiles(ctx, []string{dir}, func([]byte, Origin) error { return nil }); err == nil {
		t.Error("ReadFiles with a cancelled context: no error")
	}
	if err := ReadFiles(context.Background(), []string{"/nonexistent"}, nil); err == nil {
		t.Error("ReadFiles of a missing path: no error")
	}
}
