package tnef

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

// corpusDir holds MimeKit's TNEF test files: NAME.tnef, NAME.list (the
// names the tnef(1) tool lists, one a line) and NAME/, the files it
// extracts, the bodies as message.rtf, message.html and message.txt.
const corpusDir = "../../../shared/corpus/mimekit/UnitTests/TestData/tnef"

// corpusGaps are the extracted files Read is known not to reproduce,
// with the reason.
var corpusGaps = map[string]string{
	"christmas/Untitled Attachment.1": "attAttachData placeholder text of an embedded message; Read returns the message object (Untitled Attachment.2) instead",
	"christmas/Untitled Attachment.3": "attAttachData placeholder text of an embedded message; Read returns the message object (Untitled Attachment.4) instead",
}

func corpusFiles(t testing.TB) []string {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.tnef"))
	if len(files) == 0 {
		t.Skipf("no corpus in %s", corpusDir)
	}
	return files
}

// dupSuffix is how tnef(1) tells apart files of the same name.
var dupSuffix = regexp.MustCompile(`^(.*)\.[0-9]+$`)

func TestCorpus(t *testing.T) {
	var full, total, filesOK, filesAll int
	for _, path := range corpusFiles(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".tnef")
		list, err := os.ReadFile(strings.TrimSuffix(path, ".tnef") + ".list")
		if err != nil {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Read(data, Limits{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			for _, e := range m.Errors {
				t.Logf("error entry: %s", e)
			}
			names := map[string]bool{}
			for _, a := range m.Attachments {
				names[a.Filename] = true
			}
			// The list names the attachments, then the body file.
			sc := bufio.NewScanner(bytes.NewReader(list))
			for sc.Scan() {
				n := strings.TrimSpace(sc.Text())
				if n == "" || n == "body.rtf" || n == "body.html" {
					continue
				}
				if !names[n] {
					t.Errorf("listed %q: no such attachment", n)
				}
			}
			dir := strings.TrimSuffix(path, ".tnef")
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Logf("no folder: names only")
				return
			}
			total++
			used := make([]bool, len(m.Attachments))
			ok := true
			for _, e := range entries {
				want, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				filesAll++
				how, err := matchFile(m, used, e.Name(), want)
				if err != nil {
					ok = false
					if gap, known := corpusGaps[name+"/"+e.Name()]; known {
						t.Logf("%s: not matched (known): %s", e.Name(), gap)
						continue
					}
					t.Errorf("%s: %v", e.Name(), err)
					continue
				}
				filesOK++
				if how != "" {
					t.Logf("%s: matches %s", e.Name(), how)
				}
			}
			if ok {
				full++
			}
		})
	}
	t.Logf("%d of %d extracted files match; %d of %d streams with a folder match in full", filesOK, filesAll, full, total)
}

// matchFile compares the extracted file name with what m holds, and says
// how it matched when not byte for byte.
func matchFile(m *Message, used []bool, name string, want []byte) (string, error) {
	switch name {
	case "message.rtf":
		rtf, err := testDecompressRTF(m.RTFCompressed)
		if err != nil {
			return "", err
		}
		return sameBytes(rtf, want)
	case "message.html":
		return sameBytes([]byte(m.HTML), want)
	case "message.txt":
		return sameBytes([]byte(m.Body), want)
	}
	var firstErr error
	for _, n := range []string{name, dupSuffix.ReplaceAllString(name, "$1")} {
		for i, a := range m.Attachments {
			if used[i] || a.Filename != n {
				continue
			}
			how, err := sameBytes(a.Data, want)
			if err == nil {
				used[i] = true
				if n != name {
					how = strings.TrimSpace("as " + n + " " + how)
				}
				return how, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr == nil {
		firstErr = errors.New("no attachment of that name")
	}
	return "", firstErr
}

// sameBytes compares got with want, the corpus file. Three differences
// are the corpus's, not Read's: its text files went through a CRLF to LF
// conversion; tnef(1) keeps the interface identifier that starts an object
// (PT_OBJECT), which Read drops; and it writes bodies in their code page,
// where Read gives UTF-8.
func sameBytes(got, want []byte) (string, error) {
	switch {
	case bytes.Equal(got, want):
		return "", nil
	case bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), want):
		return "after CRLF to LF", nil
	case len(want) == len(got)+iidSize && bytes.Equal(want[iidSize:], got):
		return "after the object's IID", nil
	case bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), []byte(codepage.Decode(want, codepage.Default))):
		return "after CRLF to LF, the corpus file decoded from Windows-1252", nil
	}
	return "", errorf("%d bytes, want %d; first difference at %d", len(got), len(want), firstDiff(got, want))
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func errorf(format string, args ...any) error {
	return errors.New(strings.TrimSpace(fmt.Sprintf(format, args...)))
}

// testDecompressRTF inflates compressed RTF ([MS-OXRTFCP]) so that
// the test can compare it with the corpus's message.rtf. Read leaves the
// RTF compressed; the gateway's parser/outlook has the decompressor it
// uses, unexported.
func testDecompressRTF(b []byte) ([]byte, error) {
	if len(b) < 16 {
		return nil, errors.New("no compressed RTF")
	}
	const prebuf = "{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx"
	raw := binary.LittleEndian.Uint32(b[4:])
	switch binary.LittleEndian.Uint32(b[8:]) {
	case 0x414C454D: // "MELA", stored
		return b[16:min(len(b), 16+int(raw))], nil
	case 0x75465A4C: // "LZFu"
	default:
		return nil, errors.New("unknown compression")
	}
	var dict [4096]byte
	copy(dict[:], prebuf)
	w := len(prebuf)
	var out []byte
	in := b[16:]
	for len(in) > 0 {
		flags := in[0]
		in = in[1:]
		for bit := 0; bit < 8 && len(in) > 0; bit++ {
			if flags&(1<<bit) == 0 {
				out = append(out, in[0])
				dict[w] = in[0]
				w = (w + 1) % len(dict)
				in = in[1:]
				continue
			}
			if len(in) < 2 {
				return nil, errors.New("truncated reference")
			}
			ref := int(in[0])<<8 | int(in[1])
			in = in[2:]
			off, n := ref>>4, ref&0xF+2
			if off == w {
				return out, nil
			}
			for i := 0; i < n; i++ {
				c := dict[(off+i)%len(dict)]
				out = append(out, c)
				dict[w] = c
				w = (w + 1) % len(dict)
			}
		}
	}
	return out, nil
}

func TestCorpusListed(t *testing.T) {
	// Every corpus stream reads without failing, and without a panic.
	var names []string
	for _, path := range corpusFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Read(data, Limits{}); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		names = append(names, filepath.Base(path))
	}
	sort.Strings(names)
	t.Logf("read %d streams", len(names))
}
