package outlook

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is the shared corpus of real mail, beside the checkout. Its
// files carry their own licences and stay out of this repository.
const corpusDir = "../../../shared/corpus"

// corpusFiles returns the .msg files under the corpus folders dirs, or
// skips the test when the corpus is absent.
func corpusFiles(t *testing.T, dirs ...string) []string {
	t.Helper()
	var files []string
	for _, d := range dirs {
		root := filepath.Join(corpusDir, d)
		if _, err := os.Stat(root); err != nil {
			t.Skipf("corpus absent: %v", err)
		}
		filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.EqualFold(filepath.Ext(path), ".msg") {
				files = append(files, path)
			}
			return nil
		})
	}
	return files
}

// TestCorpus reads every .msg of the corpus: none may panic, and most must
// give a subject or a body.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t, "msgreader-hughbe", "outlook-message-perl", "msg-extractor")
	var ok, failed, withText, withAttach, embedded, rtfOnly, withErrors int
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Read(data, Limits{})
		if err != nil {
			failed++
			t.Logf("%s: %v", rel(path), err)
			continue
		}
		ok++
		if m.Subject != "" || m.Body != "" || m.HTML != "" || m.RTF != "" {
			withText++
		} else {
			t.Logf("%s: no subject or body (class %q)", rel(path), m.Class)
		}
		if m.Body == "" && m.HTML == "" && m.RTF != "" {
			rtfOnly++
		}
		if len(m.Attachments) > 0 {
			withAttach++
		}
		for _, a := range m.Attachments {
			if a.Embedded != nil {
				embedded++
			}
		}
		if len(m.Errors) > 0 {
			withErrors++
			t.Logf("%s: %d errors, first: %s", rel(path), len(m.Errors), m.Errors[0])
		}
	}
	t.Logf("%d .msg files: %d read, %d failed; %d with subject or body, %d with attachments, %d embedded messages, %d RTF only, %d with errors",
		len(files), ok, failed, withText, withAttach, embedded, rtfOnly, withErrors)
	if len(files) < 100 {
		t.Fatalf("only %d .msg files in the corpus", len(files))
	}
	if failed > len(files)/50 {
		t.Errorf("%d of %d files not read, want at most 2%%", failed, len(files))
	}
	if withText < len(files)*9/10 {
		t.Errorf("%d of %d files with a subject or body, want at least 90%%", withText, len(files))
	}
}

func rel(path string) string {
	r, err := filepath.Rel(corpusDir, path)
	if err != nil {
		return path
	}
	return r
}
