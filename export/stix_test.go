package export

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	stixID = regexp.MustCompile(`^([a-z0-9-]+)--[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	// STIX 2.1 timestamps: RFC 3339, UTC, with the Z.
	stixStamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$`)
	// A comparison expression of one object path and one string literal,
	// where a quote or a backslash only appears escaped.
	patternGrammar = regexp.MustCompile(`^\[([a-z0-9-]+:[a-z0-9_.'A-Z-]+) = '((?:[^'\\]|\\['\\])*)'\]$`)
)

// patternPath is the object path STIX 2.1 (section 9, and the
// observable objects of section 6) gives each indicator type, and what
// the value must look like.
var patternPath = map[string]struct {
	path  string
	value *regexp.Regexp
}{
	"url":    {"url:value", regexp.MustCompile(`^[a-z][a-z0-9+.-]*://`)},
	"domain": {"domain-name:value", regexp.MustCompile(`^[a-z0-9.-]+$`)},
	"ipv4":   {"ipv4-addr:value", regexp.MustCompile(`^\d{1,3}(\.\d{1,3}){3}$`)},
	"ipv6":   {"ipv6-addr:value", regexp.MustCompile(`^[0-9a-f:]+$`)},
	"email":  {"email-addr:value", regexp.MustCompile(`^[^@]+@[^@]+$`)},
	"md5":    {"file:hashes.MD5", regexp.MustCompile(`^[0-9a-f]{32}$`)},
	"sha1":   {"file:hashes.'SHA-1'", regexp.MustCompile(`^[0-9a-f]{40}$`)},
	"sha256": {"file:hashes.'SHA-256'", regexp.MustCompile(`^[0-9a-f]{64}$`)},
}

func stixOf(t *testing.T, ts []Ticket, o Options) (raw []byte, objs []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSTIX(&buf, ts, o); err != nil {
		t.Fatal(err)
	}
	var b struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(buf.Bytes(), &b); err != nil {
		t.Fatalf("bundle is not JSON: %v", err)
	}
	if b.Type != "bundle" || !stixID.MatchString(b.ID) || !strings.HasPrefix(b.ID, "bundle--") {
		t.Errorf("bundle type %q id %q", b.Type, b.ID)
	}
	return buf.Bytes(), b.Objects
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func strs(m map[string]any, k string) []string {
	var out []string
	l, _ := m[k].([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestSTIXRules checks a bundle against the STIX 2.1 rules consumers
// reject bundles for: required properties of each type, identifiers,
// timestamps, references that resolve, and patterns.
func TestSTIXRules(t *testing.T) {
	ts := sample()
	_, objs := stixOf(t, ts, Options{TLPMax: "red", All: true, League: "Test League"})
	byID := make(map[string]map[string]any)
	count := make(map[string]int)
	for _, o := range objs {
		id := str(o, "id")
		if _, dup := byID[id]; dup {
			t.Errorf("id %s twice", id)
		}
		byID[id] = o
		count[str(o, "type")]++
	}
	values := make(map[string]string) // value -> type, of the input
	for _, tk := range ts {
		for _, in := range tk.Indicators {
			values[exportValue(in.Type, in.Value)] = in.Type
		}
	}
	required := map[string][]string{
		"identity":           {"created", "modified", "name"},
		"marking-definition": {"created", "definition_type"},
		"indicator":          {"created", "modified", "pattern", "pattern_type", "valid_from", "created_by_ref"},
		"vulnerability":      {"created", "modified", "name", "created_by_ref"},
		"report":             {"created", "modified", "name", "published", "created_by_ref"},
	}
	for _, o := range objs {
		typ, id := str(o, "type"), str(o, "id")
		m := stixID.FindStringSubmatch(id)
		if m == nil || m[1] != typ {
			t.Errorf("id %q of a %q: want %s--UUID", id, typ, typ)
		}
		if str(o, "spec_version") != "2.1" {
			t.Errorf("%s: spec_version %q", id, str(o, "spec_version"))
		}
		props, ok := required[typ]
		if !ok {
			t.Errorf("%s: unexpected type %q", id, typ)
		}
		for _, p := range props {
			if o[p] == nil || o[p] == "" {
				t.Errorf("%s: no %s", id, p)
			}
		}
		for _, p := range []string{"created", "modified", "valid_from", "published"} {
			if s, ok := o[p]; ok && !stixStamp.MatchString(s.(string)) {
				t.Errorf("%s: %s %q is not a STIX timestamp", id, p, s)
			}
		}
		if o["modified"] != nil && str(o, "modified") < str(o, "created") {
			t.Errorf("%s: modified %s before created %s", id, str(o, "modified"), str(o, "created"))
		}
		if ref := str(o, "created_by_ref"); ref != "" && str(byID[ref], "type") != "identity" {
			t.Errorf("%s: created_by_ref %s is not an identity in the bundle", id, ref)
		}
		if typ != "marking-definition" {
			refs := strs(o, "object_marking_refs")
			if len(refs) == 0 {
				t.Errorf("%s: no TLP marking", id)
			}
			for _, ref := range refs {
				if str(byID[ref], "type") != "marking-definition" {
					t.Errorf("%s: marking %s not in the bundle", id, ref)
				}
			}
		}
		switch typ {
		case "marking-definition":
			def, _ := o["definition"].(map[string]any)
			tlp, _ := def["tlp"].(string)
			if str(o, "definition_type") != "tlp" || !slices.Contains([]string{"white", "green", "amber", "red"}, tlp) {
				t.Errorf("%s: definition %v", id, o["definition"])
			}
			if want := tlpMarkings[tlpOf(tlp)].id; id != want {
				t.Errorf("TLP:%s marking id %s, want the specification's %s", tlp, id, want)
			}
		case "indicator":
			if str(o, "pattern_type") != "stix" || len(strs(o, "indicator_types")) == 0 {
				t.Errorf("%s: pattern_type %q indicator_types %v", id, str(o, "pattern_type"), o["indicator_types"])
			}
			pm := patternGrammar.FindStringSubmatch(str(o, "pattern"))
			if pm == nil {
				t.Errorf("%s: pattern %q does not parse", id, str(o, "pattern"))
				continue
			}
			value := strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(pm[2])
			want := patternPath[values[value]]
			if want.path == "" || pm[1] != want.path || !want.value.MatchString(value) {
				t.Errorf("%s: pattern %q for a %q indicator, want path %q", id, str(o, "pattern"), values[value], want.path)
			}
			if str(o, "valid_from") != str(o, "created") {
				t.Errorf("%s: valid_from %s, created %s", id, str(o, "valid_from"), str(o, "created"))
			}
		case "vulnerability":
			refs, _ := o["external_references"].([]any)
			ok := false
			for _, r := range refs {
				r, _ := r.(map[string]any)
				ok = ok || (str(r, "source_name") == "cve" && str(r, "external_id") == str(o, "name"))
			}
			if !ok || values[str(o, "name")] != "cve" {
				t.Errorf("%s: CVE %q without a cve external reference", id, str(o, "name"))
			}
		case "report":
			if !slices.Equal(strs(o, "report_types"), []string{"threat-report"}) {
				t.Errorf("%s: report_types %v", id, o["report_types"])
			}
			refs := strs(o, "object_refs")
			if len(refs) == 0 {
				t.Errorf("%s: no object_refs", id)
			}
			level := markingLevel(o)
			for _, ref := range refs {
				if tp := str(byID[ref], "type"); tp != "indicator" && tp != "vulnerability" {
					t.Errorf("%s: object_ref %s is not an indicator in the bundle", id, ref)
				}
				if l := markingLevel(byID[ref]); l > level {
					t.Errorf("%s is marked %s but holds %s, marked %s", id, level, ref, l)
				}
			}
		}
	}
	if count["identity"] != 1 || count["report"] != 7 || count["vulnerability"] != 1 || count["indicator"] != 16 {
		t.Errorf("objects by type: %v", count)
	}
}

func TestSTIXPatterns(t *testing.T) {
	for _, c := range []struct{ typ, value, want string }{
		{"url", "http://a.example/x", `[url:value = 'http://a.example/x']`},
		{"url", hostileURL, `[url:value = 'http://bad.example/login?next=\'x\'&q=a\\b']`},
		{"url", `http://a.example/'] OR [x:y = '`, `[url:value = 'http://a.example/\'] OR [x:y = \'']`},
		{"domain", "bad.example", `[domain-name:value = 'bad.example']`},
		{"ipv4", "203.0.113.7", `[ipv4-addr:value = '203.0.113.7']`},
		{"ipv6", "2001:db8::7", `[ipv6-addr:value = '2001:db8::7']`},
		{"email", "a@bad.example", `[email-addr:value = 'a@bad.example']`},
		{"md5", "d41d8cd98f00b204e9800998ecf8427e", `[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`},
		{"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", `[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']`},
		{"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", `[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']`},
		{"cve", "CVE-2024-3094", ""},
	} {
		got := Pattern(c.typ, c.value)
		if got != c.want {
			t.Errorf("Pattern(%s, %q) = %s, want %s", c.typ, c.value, got, c.want)
		}
		if got != "" && !patternGrammar.MatchString(got) {
			t.Errorf("Pattern(%s, %q) = %s does not parse", c.typ, c.value, got)
		}
	}
}

// TestSTIXStable: the same data gives the same bundle, and an indicator
// or a report keeps its id whatever else changes.
func TestSTIXStable(t *testing.T) {
	o := Options{Now: fixedNow}
	a, objsA := stixOf(t, sample(), o)
	b, _ := stixOf(t, sample(), o)
	if !bytes.Equal(a, b) {
		t.Error("two exports of the same data differ")
	}
	more := append(sample(), Ticket{Number: 9, Created: t2, Updated: t2, TLP: "green", State: "new",
		Indicators: []Indicator{v("domain", "new.example", t2, t2), v("ipv4", "203.0.113.7", t2, t2)}})
	_, objsB := stixOf(t, more, o)
	ids := func(objs []map[string]any) map[string]string {
		m := make(map[string]string)
		for _, o := range objs {
			m[str(o, "type")+" "+str(o, "name")] = str(o, "id")
		}
		return m
	}
	idsA, idsB := ids(objsA), ids(objsB)
	for name, id := range idsA {
		if idsB[name] != id {
			t.Errorf("%s: id %s, then %s", name, id, idsB[name])
		}
	}
	if idsB["indicator new.example"] == "" {
		t.Error("new indicator missing")
	}
	// Another league, other ids.
	_, objsC := stixOf(t, sample(), Options{League: "Other League", Now: fixedNow})
	if idsC := ids(objsC); idsC["indicator bad.example"] == idsA["indicator bad.example"] {
		t.Error("two leagues publish bad.example under the same id")
	}
}

// markingLevel reads the TLP of an object from its TLP 1.0 marking.
func markingLevel(o map[string]any) TLP {
	level := Clear
	for _, ref := range strs(o, "object_marking_refs") {
		for l, m := range tlpMarkings {
			if m.id == ref {
				level = max(level, l)
			}
		}
	}
	return level
}

// TestSTIXIDsPinned: published ids never change from one version of the
// gateway to the next (consumers update objects by id), and notify's
// attachments use the same ones.
func TestSTIXIDsPinned(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{STIXID(DefaultLeague, "domain", "bad.example"), "indicator--429d5a3d-067b-51ca-b673-2df257029c58"},
		{STIXID(DefaultLeague, "cve", "CVE-2024-3094"), "vulnerability--b989caad-b386-515d-9a43-a440c00d7ae6"},
		{"identity--" + newIDs(DefaultLeague).id("identity"), "identity--a5ddd64b-f1cc-5df3-9a7b-ff255306bf26"},
		{"report--" + newIDs(DefaultLeague).id("report", "1"), "report--4f1f2396-793a-56fc-badf-bdc1281902c2"},
	} {
		if c.got != c.want {
			t.Errorf("id %s, want %s", c.got, c.want)
		}
	}
}
