package export

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var (
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	unixRE = regexp.MustCompile(`^[1-9]\d{9}$`)
)

// mispCategories are, for each attribute type the feed uses, the
// categories MISP's attribute definitions allow it in.
var mispCategories = map[string][]string{
	"url":           {"Network activity", "Payload delivery", "External analysis"},
	"domain":        {"Network activity", "Payload delivery", "External analysis"},
	"ip-dst":        {"Network activity", "Payload delivery", "External analysis"},
	"email-src":     {"Payload delivery", "Network activity", "Social network"},
	"md5":           {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
	"sha1":          {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
	"sha256":        {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
	"vulnerability": {"External analysis", "Payload delivery", "Payload installation"},
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestMISPFeed checks a feed folder against what MISP's feed importer
// reads: the manifest, each event with the fields and types it requires,
// and hashes.csv consistent with the events.
func TestMISPFeed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "misp")
	if err := WriteMISP(dir, sample(), Options{TLPMax: "red", All: true}); err != nil {
		t.Fatal(err)
	}
	var manifest map[string]map[string]any
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	if len(manifest) != 7 {
		t.Errorf("%d events in the manifest, want 7", len(manifest))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(manifest)+2 {
		t.Errorf("%d files for %d events", len(ents), len(manifest))
	}
	wantHashes := make(map[string]bool)
	attrUUIDs := make(map[string]bool)
	for id, m := range manifest {
		if !uuidRE.MatchString(id) {
			t.Errorf("manifest key %q is not a UUID", id)
		}
		var file struct{ Event map[string]any }
		readJSON(t, filepath.Join(dir, id+".json"), &file)
		ev := file.Event
		if ev == nil {
			t.Fatalf("%s.json: no Event", id)
		}
		// MISP's event export has strings here; so does the feed.
		for _, k := range []string{"uuid", "info", "date", "threat_level_id", "analysis", "timestamp", "publish_timestamp"} {
			if _, ok := ev[k].(string); !ok {
				t.Errorf("%s: Event.%s = %#v, want a string", id, k, ev[k])
			}
		}
		if str(ev, "uuid") != id || !dateRE.MatchString(str(ev, "date")) || !unixRE.MatchString(str(ev, "timestamp")) {
			t.Errorf("%s: uuid %q date %q timestamp %q", id, str(ev, "uuid"), str(ev, "date"), str(ev, "timestamp"))
		}
		if tl := str(ev, "threat_level_id"); !slices.Contains([]string{"1", "2", "3", "4"}, tl) {
			t.Errorf("%s: threat_level_id %q", id, tl)
		}
		if a := str(ev, "analysis"); !slices.Contains([]string{"0", "1", "2"}, a) {
			t.Errorf("%s: analysis %q", id, a)
		}
		if ev["published"] != true {
			t.Errorf("%s: published %v", id, ev["published"])
		}
		orgc, _ := ev["Orgc"].(map[string]any)
		if str(orgc, "name") == "" || !uuidRE.MatchString(str(orgc, "uuid")) {
			t.Errorf("%s: Orgc %v", id, ev["Orgc"])
		}
		tags := tagNames(ev["Tag"])
		if len(tags) != 1 || !strings.HasPrefix(tags[0], "tlp:") {
			t.Errorf("%s: tags %v, want one TLP", id, tags)
		}
		// The manifest says what the event says.
		if str(m, "info") != str(ev, "info") || str(m, "date") != str(ev, "date") ||
			num(m, "timestamp") != str(ev, "timestamp") || num(m, "threat_level_id") != str(ev, "threat_level_id") ||
			num(m, "analysis") != str(ev, "analysis") || !slices.Equal(tagNames(m["Tag"]), tags) {
			t.Errorf("%s: manifest %v does not match the event", id, m)
		}
		if mo, _ := m["Orgc"].(map[string]any); str(mo, "uuid") != str(orgc, "uuid") {
			t.Errorf("%s: manifest Orgc %v", id, m["Orgc"])
		}
		attrs, _ := ev["Attribute"].([]any)
		if len(attrs) == 0 {
			t.Errorf("%s: no attributes", id)
		}
		for _, a := range attrs {
			a := a.(map[string]any)
			typ, val := str(a, "type"), str(a, "value")
			if !uuidRE.MatchString(str(a, "uuid")) || attrUUIDs[str(a, "uuid")] {
				t.Errorf("%s: attribute uuid %q bad or not unique", id, str(a, "uuid"))
			}
			attrUUIDs[str(a, "uuid")] = true
			if !slices.Contains(mispCategories[typ], str(a, "category")) {
				t.Errorf("%s: %s attribute %q in category %q", id, typ, val, str(a, "category"))
			}
			if val == "" || !unixRE.MatchString(str(a, "timestamp")) {
				t.Errorf("%s: attribute %v", id, a)
			}
			toIDS, ok := a["to_ids"].(bool)
			if !ok {
				t.Errorf("%s: to_ids %#v, want a boolean", id, a["to_ids"])
			}
			if wantIDS := typ != "vulnerability" && val != unverified && val != rejected; toIDS != wantIDS {
				t.Errorf("%s: %s to_ids %v, want %v", id, val, toIDS, wantIDS)
			}
			if at := tagNames(a["Tag"]); len(at) != 1 || tlpOf(at[0]) > tlpOf(tags[0]) {
				t.Errorf("%s: %s tagged %v in an event tagged %v", id, val, at, tags)
			}
			sum := md5.Sum([]byte(val))
			wantHashes[hex.EncodeToString(sum[:])+","+id] = true
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "hashes.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	got := make(map[string]bool)
	for _, l := range lines {
		got[l] = true
	}
	if len(lines) != len(wantHashes) || len(got) != len(wantHashes) {
		t.Errorf("hashes.csv has %d lines, want %d", len(lines), len(wantHashes))
	}
	for l := range wantHashes {
		if !got[l] {
			t.Errorf("hashes.csv lacks %s", l)
		}
	}
}

func TestMISPLevels(t *testing.T) {
	for _, c := range []struct {
		severity, state  string
		threat, analysis string
	}{
		{"critical", "new", "1", "0"}, {"high", "triaged", "1", "1"}, {"medium", "escalated", "2", "1"},
		{"low", "closed", "3", "2"}, {"", "new", "4", "0"}, {"none", "new", "4", "0"},
	} {
		ts := []Ticket{{Number: 1, Created: t0, Updated: t0, TLP: "green", Severity: c.severity, State: c.state,
			Indicators: []Indicator{v("domain", "bad.example", t0, t0)}}}
		files, err := mispFiles(ts, Options{})
		if err != nil {
			t.Fatal(err)
		}
		id := newIDs(DefaultLeague).id("misp-event", "1")
		var file struct{ Event mispEvent }
		if err := json.Unmarshal(files[id+".json"], &file); err != nil {
			t.Fatal(err)
		}
		if file.Event.ThreatLevelID != c.threat || file.Event.Analysis != c.analysis {
			t.Errorf("severity %q state %q: threat_level_id %s analysis %s, want %s %s",
				c.severity, c.state, file.Event.ThreatLevelID, file.Event.Analysis, c.threat, c.analysis)
		}
	}
}

// TestMISPReplace: a feed written over another leaves nothing of it, and
// nothing beside it.
func TestMISPReplace(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "misp")
	if err := WriteMISP(dir, sample(), Options{TLPMax: "red"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stale.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteMISP(dir, sample(), Options{}); err != nil {
		t.Fatal(err)
	}
	var manifest map[string]any
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(manifest)+2 {
		t.Errorf("%d files for %d events: the old feed was kept", len(ents), len(manifest))
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("left beside the feed: %v", ents)
	}
}

func tagNames(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		m, _ := x.(map[string]any)
		out = append(out, str(m, "name"))
	}
	return out
}

// num reads a number of the manifest as the string an event holds.
func num(m map[string]any, k string) string {
	f, ok := m[k].(float64)
	if !ok {
		return "not a number"
	}
	return strconv.FormatInt(int64(f), 10)
}

// TestMISPWontClobber: a folder that is not a feed is never replaced.
func TestMISPWontClobber(t *testing.T) {
	parent := t.TempDir()
	home := filepath.Join(parent, "home")
	os.MkdirAll(filepath.Join(home, "Documents"), 0o755)
	os.WriteFile(filepath.Join(home, "notes.txt"), []byte("mine"), 0o644)
	file := filepath.Join(parent, "feeds.csv")
	os.WriteFile(file, []byte("mine"), 0o644)
	for _, dir := range []string{home, file} {
		if err := WriteMISP(dir, sample(), Options{}); err == nil {
			t.Errorf("WriteMISP(%s) replaced it", dir)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(home, "notes.txt")); string(b) != "mine" {
		t.Error("home folder lost")
	}
	if b, _ := os.ReadFile(file); string(b) != "mine" {
		t.Error("file lost")
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 2 {
		t.Errorf("left beside: %v", ents)
	}
}
