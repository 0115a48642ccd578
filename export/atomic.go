package export

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Feeds are public, so their files are readable by all (the web server
// may run as another user).
const (
	filePerm = 0o644
	dirPerm  = 0o755
)

// WriteFile replaces the file at path with what write writes, as the
// feeds are replaced: nothing is written if write fails, and a reader
// sees the old file or the new one, never part of one.
func WriteFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	return writeFile(path, buf.Bytes())
}

// writeFile replaces path with data: written to a temporary file in the
// same folder, synced, then renamed over path, so that a reader sees the
// old file or the new one, never part of one. Temporary names start with
// a dot, which Handler never serves.
func writeFile(path string, data []byte) error {
	prefix := "." + filepath.Base(path) + ".tmp-"
	removeStale(filepath.Dir(path), prefix)
	f, err := os.CreateTemp(filepath.Dir(path), prefix+"*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(filePerm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// replaceDir makes dir hold exactly files (names without slashes). They
// are written to a new folder beside dir, which then takes dir's place by
// two renames; the old folder is removed. A reader between the renames
// finds no dir for an instant, never a mix of two feeds.
func replaceDir(dir string, files map[string][]byte) error {
	dir = filepath.Clean(dir)
	parent, base := filepath.Split(dir)
	if parent == "" {
		parent = "."
	}
	if err := replaceable(dir); err != nil {
		return err
	}
	removeStale(parent, "."+base+".")
	tmp, err := os.MkdirTemp(parent, "."+base+".new-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	fail := func(err error) error {
		os.RemoveAll(tmp)
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if err := os.Chmod(tmp, dirPerm); err != nil {
		return fail(err)
	}
	for name, data := range files {
		if filepath.Base(name) != name || name == "." || name == ".." {
			return fail(fmt.Errorf("bad file name %q", name))
		}
		if err := writeSynced(filepath.Join(tmp, name), data); err != nil {
			return fail(err)
		}
	}
	if err := syncDir(tmp); err != nil {
		return fail(err)
	}
	old := tmp + ".old"
	switch err := os.Rename(dir, old); {
	case errors.Is(err, fs.ErrNotExist):
		old = ""
	case err != nil:
		return fail(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir) // put the old feed back
		}
		return fail(err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// replaceable refuses to replace what is not a feed folder: --out given
// a home folder by mistake must not wipe it. A feed folder holds only
// files named *.json and hashes.csv.
func replaceable(dir string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("write %s: it exists and is not a folder", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("write %s: %w", dir, err)
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || (e.Name() != "hashes.csv" && filepath.Ext(e.Name()) != ".json") {
			return fmt.Errorf("write %s: it holds %s, so it is no MISP feed to replace; give a new or empty folder", dir, e.Name())
		}
	}
	return nil
}

// sameDir reports whether dir holds exactly files: then there is nothing
// to rewrite, and its times (Last-Modified) stay as they are.
func sameDir(dir string, files map[string][]byte) bool {
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != len(files) {
		return false
	}
	for _, e := range ents {
		want, ok := files[e.Name()]
		if !ok || !e.Type().IsRegular() {
			return false
		}
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || !bytes.Equal(got, want) {
			return false
		}
	}
	return true
}

// sameFile reports whether path holds data.
func sameFile(path string, data []byte) bool {
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, data)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// writeSynced writes a new file and syncs it: it must be on disk before
// the rename that publishes it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeStale removes what a crashed writer left beside the feed: folders
// and files named prefix... older than an hour (a writer still at work is
// younger).
func removeStale(parent, prefix string) {
	matches, _ := filepath.Glob(filepath.Join(parent, globEscape(prefix)+"*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(m)
		}
	}
}

func globEscape(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}
