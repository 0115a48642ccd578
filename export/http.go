package export

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// Handler serves the feeds in dir read-only, at paths relative to dir:
// with a Scheduler writing into dir, /feeds.stix.json, /feeds.csv and
// /misp/manifest.json. Mount it with http.StripPrefix.
//
// Only GET and HEAD of regular files are answered: no folder listing, no
// name that starts with a dot (the writers' temporary files), no ".."
// and no symbolic link out of dir. Every answer carries a strong ETag (a
// hash of the content) and Last-Modified, and a request with a matching
// If-None-Match or an If-Modified-Since not older than the file gets 304
// Not Modified, so that consumers can poll cheaply.
func Handler(dir string) http.Handler {
	return &feedHandler{dir: dir, etags: make(map[string]etagEntry)}
}

type feedHandler struct {
	dir   string
	mu    sync.Mutex
	etags map[string]etagEntry
}

// etagEntry remembers a file's ETag while its size and time are those it
// had when hashed. The writers replace files by renaming new ones into
// place, so new content comes with a new time.
type etagEntry struct {
	size int64
	mod  time.Time
	etag string
}

func (h *feedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "feeds are read-only", http.StatusMethodNotAllowed)
		return
	}
	name, ok := feedName(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	// os.Root refuses any path, symbolic links included, that leads out
	// of dir. It is opened per request, so that dir may appear later.
	root, err := os.OpenRoot(h.dir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	etag, err := h.etag(name, f, fi)
	if err != nil {
		http.Error(w, "cannot read the feed", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("ETag", etag)
	// Caches may keep a feed but must ask whether it changed.
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Content-Type-Options", "nosniff")
	switch path.Ext(name) {
	case ".json":
		hd.Set("Content-Type", "application/json")
	case ".csv":
		hd.Set("Content-Type", "text/csv; charset=utf-8")
	}
	// ServeContent answers 304 and 412 from the ETag and Last-Modified,
	// and serves ranges.
	http.ServeContent(w, r, name, fi.ModTime(), f)
}

// feedName turns a request path into a name under the feed folder, or
// reports that it names nothing that may be served.
func feedName(p string) (string, bool) {
	name := strings.TrimPrefix(p, "/")
	if !fs.ValidPath(name) || name == "." || strings.ContainsAny(name, "\\\x00") {
		return "", false
	}
	for _, elem := range strings.Split(name, "/") {
		if strings.HasPrefix(elem, ".") {
			return "", false
		}
	}
	return name, true
}

func (h *feedHandler) etag(name string, f *os.File, fi fs.FileInfo) (string, error) {
	h.mu.Lock()
	e, ok := h.etags[name]
	h.mu.Unlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.etag, nil
	}
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	e = etagEntry{size: fi.Size(), mod: fi.ModTime(), etag: `"` + hex.EncodeToString(hash.Sum(nil)[:16]) + `"`}
	h.mu.Lock()
	h.etags[name] = e
	h.mu.Unlock()
	return e.etag, nil
}
