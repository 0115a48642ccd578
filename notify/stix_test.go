package notify

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/export"
)

var (
	t1 = time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)
	t2 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

var sampleIndicators = []Indicator{
	{Type: "url", Value: "http://evil.example/login?a='b'", FirstSeen: t1, LastSeen: t2, Tickets: []int64{3, 7}, TLP: "amber"},
	{Type: "domain", Value: "evil.example", FirstSeen: t1, LastSeen: t2, Tickets: []int64{3}, TLP: "amber"},
	{Type: "ipv4", Value: "203.0.113.9", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
	{Type: "ipv6", Value: "2001:db8::1", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
	{Type: "email", Value: "ceo@evil.example", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
	{Type: "md5", Value: "d41d8cd98f00b204e9800998ecf8427e", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
	{Type: "sha1", Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
	{Type: "sha256", Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
	{Type: "cve", Value: "CVE-2024-3400", FirstSeen: t1, LastSeen: t1, Tickets: []int64{3}, TLP: "amber"},
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := WriteCSV(&b, sampleIndicators); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(sampleIndicators)+1 || strings.Join(recs[0], ",") != "type,value,first_seen,last_seen,tickets,tlp" {
		t.Fatalf("records %q", recs)
	}
	if got := strings.Join(recs[1], "|"); got != "url|http://evil.example/login?a='b'|2026-11-20T08:30:00Z|2026-11-23T09:00:00Z|3 7|amber" {
		t.Errorf("first record %q", got)
	}
}

func TestWriteSTIX(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSTIX(&b, sampleIndicators, STIXOptions{Identity: "The League", Created: t2, TLP: "amber"}); err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(b.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	uuid := `[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	if bundle.Type != "bundle" || !regexp.MustCompile(`^bundle--`+uuid+`$`).MatchString(bundle.ID) {
		t.Errorf("bundle %s %s", bundle.Type, bundle.ID)
	}
	stamp := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	patterns := map[string]string{}
	var identity string
	for _, o := range bundle.Objects {
		if o["spec_version"] != "2.1" {
			t.Errorf("%v: spec_version %v", o["id"], o["spec_version"])
		}
		for _, k := range []string{"created", "modified", "valid_from"} {
			if v, ok := o[k]; ok && !stamp.MatchString(v.(string)) {
				t.Errorf("%v: %s %v", o["id"], k, v)
			}
		}
		switch o["type"] {
		case "identity":
			identity = o["id"].(string)
		case "indicator":
			if !regexp.MustCompile(`^indicator--` + uuid + `$`).MatchString(o["id"].(string)) {
				t.Errorf("id %v", o["id"])
			}
			if o["created_by_ref"] != identity || o["pattern_type"] != "stix" {
				t.Errorf("%v: created_by_ref %v pattern_type %v", o["id"], o["created_by_ref"], o["pattern_type"])
			}
			patterns[o["id"].(string)] = o["pattern"].(string)
		case "vulnerability":
			if o["name"] != "CVE-2024-3400" {
				t.Errorf("vulnerability %v", o)
			}
		}
	}
	want := map[string]string{
		STIXID("The League", "url", "http://evil.example/login?a='b'"):                                     `[url:value = 'http://evil.example/login?a=\'b\'']`,
		STIXID("The League", "domain", "evil.example"):                                                     `[domain-name:value = 'evil.example']`,
		STIXID("The League", "ipv4", "203.0.113.9"):                                                        `[ipv4-addr:value = '203.0.113.9']`,
		STIXID("The League", "ipv6", "2001:db8::1"):                                                        `[ipv6-addr:value = '2001:db8::1']`,
		STIXID("The League", "email", "ceo@evil.example"):                                                  `[email-addr:value = 'ceo@evil.example']`,
		STIXID("The League", "md5", "d41d8cd98f00b204e9800998ecf8427e"):                                    `[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']`,
		STIXID("The League", "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"):                           `[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']`,
		STIXID("The League", "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"): `[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']`,
	}
	for id, p := range want {
		if patterns[id] != p {
			t.Errorf("%s: pattern %q, want %q", id, patterns[id], p)
		}
	}
	if len(patterns) != len(want) {
		t.Errorf("%d indicators, want %d", len(patterns), len(want))
	}
	// Ids are stable: the same indicator, the same id, in every bundle.
	if STIXID("The League", "domain", "evil.example") != STIXID("The League", "domain", "evil.example") || STIXID("The League", "domain", "a.example") == STIXID("The League", "domain", "b.example") {
		t.Error("ids not stable or not distinct")
	}
}

// TestSTIXIDMatchesExport: an indicator has the same id in an escalation's
// bundle as in the league's feeds, so that consumers update, not duplicate.
func TestSTIXIDMatchesExport(t *testing.T) {
	for _, in := range sampleIndicators {
		for _, league := range []string{"The League", export.DefaultLeague} {
			if a, b := STIXID(league, in.Type, in.Value), export.STIXID(league, in.Type, in.Value); a != b {
				t.Errorf("%s %s: notify %s, export %s", in.Type, in.Value, a, b)
			}
		}
	}
}
