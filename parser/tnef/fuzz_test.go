package tnef

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzRead checks that Read neither panics nor exceeds its limits, and
// that what it returns is UTF-8, on any input.
func FuzzRead(f *testing.F) {
	for _, tt := range readTests {
		f.Add(tt.data)
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.tnef"))
	for _, path := range files {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxAttachments: 3, MaxBytes: 4096}
		m, err := Read(data, lim)
		if err != nil {
			if m != nil {
				t.Fatalf("Read returned a message with error %v", err)
			}
			return
		}
		if len(m.Attachments) > lim.MaxAttachments {
			t.Errorf("%d attachments, limit %d", len(m.Attachments), lim.MaxAttachments)
		}
		kept := int64(len(m.RTFCompressed))
		for _, a := range m.Attachments {
			kept += int64(len(a.Data))
			for _, s := range []string{a.Filename, a.MimeType} {
				if !utf8.ValidString(s) {
					t.Errorf("attachment string %q is not UTF-8", s)
				}
			}
		}
		if kept > lim.MaxBytes {
			t.Errorf("kept %d bytes, limit %d", kept, lim.MaxBytes)
		}
		for _, s := range []string{m.Subject, m.From, m.MessageID, m.Body, m.HTML} {
			if !utf8.ValidString(s) {
				t.Errorf("string %q is not UTF-8", s)
			}
		}
		if _, err := Read(data, Limits{}); err != nil {
			t.Errorf("Read with default limits: %v, but not with small ones", err)
		}
	})
}
