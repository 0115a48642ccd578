package export

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func feedDir(t *testing.T) (parent, dir string) {
	t.Helper()
	parent = t.TempDir()
	dir = filepath.Join(parent, "feeds")
	for name, body := range map[string]string{
		"feeds.csv":          "type,value\n",
		"misp/manifest.json": "{}\n",
		".feeds.csv.tmp-1":   "half a feed",
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(parent, "secret"), []byte("league.db"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(parent, "secret"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	return parent, dir
}

func TestHandlerConditional(t *testing.T) {
	_, dir := feedDir(t)
	srv := httptest.NewServer(http.StripPrefix("/feeds", Handler(dir)))
	defer srv.Close()
	get := func(path string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	r := get("/feeds/feeds.csv")
	etag, lm := r.Header.Get("ETag"), r.Header.Get("Last-Modified")
	if r.StatusCode != 200 || !strings.HasPrefix(etag, `"`) || lm == "" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET: %d, ETag %q, Last-Modified %q, Content-Type %q", r.StatusCode, etag, lm, r.Header.Get("Content-Type"))
	}
	if r := get("/feeds/feeds.csv", "If-None-Match", etag); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match same: %d, want 304", r.StatusCode)
	}
	if r := get("/feeds/feeds.csv", "If-Modified-Since", lm); r.StatusCode != http.StatusNotModified {
		t.Errorf("If-Modified-Since same: %d, want 304", r.StatusCode)
	}
	if r := get("/feeds/feeds.csv", "If-None-Match", `"other"`); r.StatusCode != 200 {
		t.Errorf("If-None-Match other: %d, want 200", r.StatusCode)
	}
	if r := get("/feeds/misp/manifest.json"); r.StatusCode != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("manifest: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}

	// A new feed (written as the writers do) gets a new ETag, and
	// the old one no longer matches.
	time.Sleep(10 * time.Millisecond)
	if err := writeFile(filepath.Join(dir, "feeds.csv"), []byte("type,value\nurl,x\n")); err != nil {
		t.Fatal(err)
	}
	r = get("/feeds/feeds.csv", "If-None-Match", etag)
	if r.StatusCode != 200 || r.Header.Get("ETag") == etag {
		t.Errorf("after a change: %d, ETag %s (was %s)", r.StatusCode, r.Header.Get("ETag"), etag)
	}
}

func TestHandlerRefuses(t *testing.T) {
	_, dir := feedDir(t)
	h := Handler(dir)
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/feeds.csv", 200},
		{"HEAD", "/feeds.csv", 200},
		{"POST", "/feeds.csv", 405},
		{"PUT", "/feeds.csv", 405},
		{"DELETE", "/feeds.csv", 405},
		{"GET", "/../secret", 404},
		{"GET", "/misp/../../secret", 404},
		{"GET", "//secret", 404},
		{"GET", "/link", 404}, // a symbolic link out of the folder
		{"GET", "/", 404},     // no listing
		{"GET", "/misp", 404},
		{"GET", "/misp/", 404},
		{"GET", "/.feeds.csv.tmp-1", 404}, // a writer's temporary file
		{"GET", "/nothing.json", 404},
		{"GET", `/misp\..\..\secret`, 404},
	} {
		req := httptest.NewRequest(c.method, "/", nil)
		req.URL.Path = c.path // as the server decodes it, %2e%2e included
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, rec.Code, c.want)
		}
		if strings.Contains(rec.Body.String(), "league.db") {
			t.Errorf("%s %s: served the file outside", c.method, c.path)
		}
	}
	// Over the wire, escaped dots too.
	srv := httptest.NewServer(Handler(dir))
	defer srv.Close()
	for _, p := range []string{"/%2e%2e/secret", "/misp/%2e%2e/%2e%2e/secret", "/..%2fsecret"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || strings.Contains(string(body), "league.db") {
			t.Errorf("GET %s: %d %q", p, resp.StatusCode, body)
		}
	}
}

func TestHandlerNoFolderYet(t *testing.T) {
	h := Handler(filepath.Join(t.TempDir(), "not-yet"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/feeds.csv", nil))
	if rec.Code != 404 {
		t.Errorf("%d, want 404", rec.Code)
	}
}
