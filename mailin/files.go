package mailin

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ReadFiles reads the mail of files and folders, in the order given, and
// hands each message to fn, stopping at fn's first error. A path may be:
//
//   - a Maildir folder (one with cur/ or new/): the messages of cur/ then new/;
//   - any other folder: every file under it, by name, each read as below,
//     but for files that hold no mail (no header fields at their start,
//     and no Outlook .msg): a folder of saved reports often holds notes,
//     JSON and HTML beside the mail;
//   - an mbox file (one starting with a "From " line): each of its messages;
//   - any other file: one message (.eml), unless it holds only white space.
//
// Origin.Mailbox is "file:" and the absolute path, with "#" and the 0-based
// index of the message for an mbox file; UIDValidity and UID are 0.
func ReadFiles(ctx context.Context, paths []string, fn func(raw []byte, origin Origin) error) error {
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return err
		}
		if fi.IsDir() {
			err = readDir(ctx, abs, fn)
		} else {
			err = readFile(ctx, abs, false, fn)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func isMaildir(dir string) bool {
	for _, sub := range []string{"cur", "new"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

func readDir(ctx context.Context, root string, fn func([]byte, Origin) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if isMaildir(p) {
				if err := readMaildir(ctx, p, fn); err != nil {
					return err
				}
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return readFile(ctx, p, true, fn)
	})
}

// readMaildir reads cur/ then new/; tmp/ holds deliveries not yet finished.
func readMaildir(ctx context.Context, dir string, fn func([]byte, Origin) error) error {
	for _, sub := range []string{"cur", "new"} {
		es, err := os.ReadDir(filepath.Join(dir, sub))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		// Delivery names start with the time: name order is about arrival order.
		slices.SortFunc(es, func(a, b os.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
		for _, e := range es {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if err := readFile(ctx, filepath.Join(dir, sub, e.Name()), false, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// readFile reads one file; walked says it was found in a folder walk,
// where files that hold no mail are passed over.
func readFile(ctx context.Context, path string, walked bool, fn func([]byte, Origin) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(8)
	if bom := "\xEF\xBB\xBF"; bytes.HasPrefix(head, []byte(bom+"From ")) {
		br.Discard(len(bom)) // some Windows tools start mbox files with a BOM
		head = head[len(bom):]
	}
	if bytes.HasPrefix(head, []byte("From ")) {
		return readMbox(ctx, br, path, fn)
	}
	raw, err := io.ReadAll(br)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(bytes.TrimSpace(raw)) == 0 || walked && !looksLikeMail(raw) {
		return nil
	}
	if err := fn(raw, Origin{Mailbox: "file:" + path}); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// looksLikeMail says whether a file starts like a mail: a header field
// among its first lines (a junk line before it is allowed, as some exports
// write one), or an Outlook .msg. A broken mail passes; JSON, HTML and
// notes do not.
func looksLikeMail(raw []byte) bool {
	if bytes.HasPrefix(raw, cfbMagic) {
		return true
	}
	fields := 0
	for i, rest := 0, raw[:min(len(raw), 4096)]; i < 8 && len(rest) > 0; i++ {
		line := rest
		// Lines may end in LF, CRLF or, from old Macs, CR alone.
		if j := bytes.IndexAny(rest, "\r\n"); j >= 0 {
			line, rest = rest[:j], rest[j+1:]
		} else {
			rest = nil
		}
		if isFieldLine(line) {
			fields++
		}
	}
	return fields >= 1
}

// isFieldLine: a name of letters, digits and dashes, a colon, a space.
func isFieldLine(l []byte) bool {
	i := bytes.IndexByte(l, ':')
	if i <= 0 || i+1 >= len(l) || (l[i+1] != ' ' && l[i+1] != '\t') {
		return false
	}
	for _, c := range l[:i] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
