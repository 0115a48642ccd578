package export

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// stixTime is the timestamp form STIX 2.1 requires: RFC 3339 in UTC, with
// the Z, here always with milliseconds.
const stixTime = "2006-01-02T15:04:05.000Z"

// identityCreated is the creation time of the league's identity object.
// It is fixed, so that the identity, like every other object, is the same
// in every export.
var identityCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// tlpMarkings are the TLP 1.0 marking-definition objects that STIX 2.1
// publishes (section 7.2.1.4), which every STIX 2.1 tool knows. TLP 2.0's
// amber+strict has none: it is marked amber and labelled.
var tlpMarkings = map[TLP]struct{ id, name string }{
	Clear: {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white"},
	Green: {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green"},
	Amber: {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber"},
	Red:   {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red"},
}

// tlpMarkingCreated is the creation time the STIX 2.1 specification gives
// its TLP marking definitions.
var tlpMarkingCreated = time.Date(2017, 1, 20, 0, 0, 0, 0, time.UTC)

func stixMarking(l TLP) (id, name string) {
	if l == AmberStrict {
		l = Amber
	}
	m := tlpMarkings[l]
	return m.id, m.name
}

// stixObject is any STIX 2.1 object of the bundle; the properties of each
// type are grouped below, and those a type does not have stay empty.
type stixObject struct {
	Type         string `json:"type"`
	SpecVersion  string `json:"spec_version"`
	ID           string `json:"id"`
	CreatedByRef string `json:"created_by_ref,omitempty"`
	Created      string `json:"created"`
	Modified     string `json:"modified,omitempty"` // not on marking-definition
	Name         string `json:"name,omitempty"`
	Description  string `json:"description,omitempty"`

	IdentityClass string `json:"identity_class,omitempty"`

	IndicatorTypes []string `json:"indicator_types,omitempty"`
	Pattern        string   `json:"pattern,omitempty"`
	PatternType    string   `json:"pattern_type,omitempty"`
	PatternVersion string   `json:"pattern_version,omitempty"`
	ValidFrom      string   `json:"valid_from,omitempty"`

	ReportTypes []string `json:"report_types,omitempty"`
	Published   string   `json:"published,omitempty"`
	ObjectRefs  []string `json:"object_refs,omitempty"`

	DefinitionType string            `json:"definition_type,omitempty"`
	Definition     map[string]string `json:"definition,omitempty"`

	Labels             []string      `json:"labels,omitempty"`
	ExternalReferences []externalRef `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string      `json:"object_marking_refs,omitempty"`
}

type externalRef struct {
	SourceName string `json:"source_name"`
	ExternalID string `json:"external_id,omitempty"`
	URL        string `json:"url,omitempty"`
}

type bundle struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Objects []stixObject `json:"objects"`
}

// WriteSTIX writes a STIX 2.1 bundle of what Filter lets out of ts: the
// league's identity, the TLP marking definitions in use, one indicator per
// indicator (a vulnerability per CVE) and one report per ticket referring
// to them. The same data gives the same bytes.
func WriteSTIX(w io.Writer, ts []Ticket, o Options) error {
	b, err := stixBundle(ts, o)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write STIX bundle: %w", err)
	}
	return nil
}

func stixBundle(ts []Ticket, o Options) ([]byte, error) {
	objs, err := stixObjects(ts, o)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(objs)
	if err != nil {
		return nil, fmt.Errorf("encode STIX bundle: %w", err)
	}
	sum := sha256.Sum256(body)
	x := newIDs(o.league())
	bd := bundle{Type: "bundle", ID: "bundle--" + x.id("bundle", hex.EncodeToString(sum[:])), Objects: objs}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bd); err != nil {
		return nil, fmt.Errorf("encode STIX bundle: %w", err)
	}
	return buf.Bytes(), nil
}

// STIXObject is one object of the STIX bundle, encoded, for a server
// that hands objects out one by one (package taxii).
type STIXObject struct {
	ID          string
	Type        string
	SpecVersion string
	// Version is the object's modified time, or its created time when it
	// has none (a marking definition), as the object writes it.
	Version string
	JSON    json.RawMessage
}

// STIXObjects returns the objects of the bundle WriteSTIX writes from ts
// under o, in the bundle's order: the same objects with the same ids.
func STIXObjects(ts []Ticket, o Options) ([]STIXObject, error) {
	objs, err := stixObjects(ts, o)
	if err != nil {
		return nil, err
	}
	out := make([]STIXObject, len(objs))
	for i, obj := range objs {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(obj); err != nil {
			return nil, fmt.Errorf("encode STIX object %s: %w", obj.ID, err)
		}
		out[i] = STIXObject{ID: obj.ID, Type: obj.Type, SpecVersion: obj.SpecVersion,
			Version: cmp.Or(obj.Modified, obj.Created), JSON: bytes.TrimSuffix(buf.Bytes(), []byte("\n"))}
	}
	return out, nil
}

// NameID returns the stable UUID that league gives the thing named by
// parts, as every id of the feeds is made: for the ids of things that are
// no STIX object, like a TAXII collection.
func NameID(league string, parts ...string) string {
	if league == "" {
		league = DefaultLeague
	}
	return newIDs(league).id(parts...)
}

func stixObjects(ts []Ticket, o Options) ([]stixObject, error) {
	ts, err := Filter(ts, o)
	if err != nil {
		return nil, err
	}
	now := o.now()
	x := newIDs(o.league())
	identity := "identity--" + x.id("identity")
	objs := []stixObject{{
		Type: "identity", SpecVersion: "2.1", ID: identity,
		Created: stamp(identityCreated, now), Modified: stamp(identityCreated, now),
		Name:              o.league(),
		Description:       "A volunteer cyber-threat-intelligence league protecting hospitals.",
		IdentityClass:     "organization",
		ObjectMarkingRefs: []string{tlpMarkings[Clear].id},
	}}

	// Markings in use, in TLP order.
	used := map[TLP]bool{Clear: true}
	for _, t := range ts {
		used[marking(t)] = true
		for _, in := range t.Indicators {
			used[tlpOf(in.TLP)] = true
		}
	}
	for l := Clear; l <= Red; l++ {
		if m, ok := tlpMarkings[l]; ok && (used[l] || (l == Amber && used[AmberStrict])) {
			objs = append(objs, stixObject{Type: "marking-definition", SpecVersion: "2.1", ID: m.id,
				Created: stamp(tlpMarkingCreated, now), Name: "TLP:" + strings.ToUpper(m.name),
				DefinitionType: "tlp", Definition: map[string]string{"tlp": m.name}})
		}
	}

	// An indicator changes when it is seen again or when a ticket it is
	// on changes (a #verify, a #tlp): its modified time follows both.
	touched := make(map[key]time.Time)
	for _, t := range ts {
		for _, in := range t.Indicators {
			k := key{in.Type, in.Value}
			touched[k] = latest(touched[k], t.Updated)
		}
	}
	ref := make(map[key]string)
	for _, in := range indicators(ts) {
		k := key{in.Type, in.Value}
		obj := stixIndicator(x, in, identity, touched[k], now)
		ref[k] = obj.ID
		objs = append(objs, obj)
	}

	for _, t := range ts {
		created := stamp(t.Created, now)
		modified := notBefore(stamp(t.Updated, now), created)
		mid, _ := stixMarking(marking(t))
		r := stixObject{Type: "report", SpecVersion: "2.1", ID: "report--" + x.id("report", strconv.FormatInt(t.Number, 10)),
			CreatedByRef: identity, Created: created, Modified: modified,
			Name:        fmt.Sprintf("League report #%d", t.Number),
			Description: reportDescription(t),
			ReportTypes: []string{"threat-report"}, Published: modified,
			Labels:            tlpLabels(marking(t)),
			ObjectMarkingRefs: []string{mid}}
		for _, in := range t.Indicators {
			r.ObjectRefs = append(r.ObjectRefs, ref[key{in.Type, in.Value}])
		}
		objs = append(objs, r)
	}
	return objs, nil
}

// STIXID returns the stable STIX id under which league publishes an
// indicator: a vulnerability for a CVE, else an indicator. It depends on
// nothing but its arguments, so that a bundle attached to a mail and the
// feeds name the same indicator alike.
func STIXID(league, typ, value string) string {
	x := newIDs(league)
	if typ == "cve" {
		return "vulnerability--" + x.id("vulnerability", value)
	}
	return "indicator--" + x.id("indicator", typ, value)
}

func stixIndicator(x ids, in Indicator, identity string, touched, now time.Time) stixObject {
	l := tlpOf(in.TLP)
	mid, _ := stixMarking(l)
	created := stamp(in.FirstSeen, now)
	modified := notBefore(stamp(latest(in.LastSeen, touched), now), created)
	seenOn := make([]string, len(in.Tickets))
	for i, n := range in.Tickets {
		seenOn[i] = fmt.Sprintf("#%d", n)
	}
	desc := "Reported to the league in " + strings.Join(seenOn, ", ") + "."
	if in.Type == "cve" {
		return stixObject{Type: "vulnerability", SpecVersion: "2.1", ID: STIXID(x.league, in.Type, in.Value),
			CreatedByRef: identity, Created: created, Modified: modified, Name: in.Value, Description: desc,
			ExternalReferences: []externalRef{{SourceName: "cve", ExternalID: in.Value,
				URL: "https://www.cve.org/CVERecord?id=" + in.Value}},
			Labels:            append(statusLabels(in), tlpLabels(l)...),
			ObjectMarkingRefs: []string{mid}}
	}
	kind := []string{"malicious-activity"}
	if !in.Verified {
		kind = []string{"unknown"}
	}
	return stixObject{Type: "indicator", SpecVersion: "2.1", ID: STIXID(x.league, in.Type, in.Value),
		CreatedByRef: identity, Created: created, Modified: modified, Name: in.Value, Description: desc,
		IndicatorTypes: kind, Pattern: Pattern(in.Type, in.Value), PatternType: "stix", PatternVersion: "2.1",
		ValidFrom:         created,
		Labels:            append(statusLabels(in), tlpLabels(l)...),
		ObjectMarkingRefs: []string{mid}}
}

func statusLabels(in Indicator) []string {
	if in.Verified {
		return []string{"verified"}
	}
	return []string{"unverified"}
}

// tlpLabels says what the TLP 1.0 marking cannot: amber+strict.
func tlpLabels(l TLP) []string {
	if l == AmberStrict {
		return []string{"tlp:amber+strict"}
	}
	return nil
}

func reportDescription(t Ticket) string {
	n := len(t.Indicators)
	s := fmt.Sprintf("%d indicator", n)
	if n != 1 {
		s += "s"
	}
	s += " from a report to the league"
	if t.Severity != "" {
		s += ", severity " + t.Severity
	}
	return s + "."
}

// patternPaths are the STIX object paths of each indicator type.
var patternPaths = map[string]string{
	"url":    "url:value",
	"domain": "domain-name:value",
	"ipv4":   "ipv4-addr:value",
	"ipv6":   "ipv6-addr:value",
	"email":  "email-addr:value",
	"md5":    "file:hashes.MD5",
	"sha1":   "file:hashes.'SHA-1'",
	"sha256": "file:hashes.'SHA-256'",
}

// Pattern returns the STIX 2.1 pattern matching an indicator of type typ
// and value value, or "" for a type patterns cannot express (cve). Quotes
// and backslashes in the value are escaped, so that a value cannot end
// the string literal.
func Pattern(typ, value string) string {
	path, ok := patternPaths[typ]
	if !ok {
		return ""
	}
	esc := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value)
	return "[" + path + " = '" + esc + "']"
}

// notBefore returns the later of two stamps, which compare as strings:
// STIX wants modified at or after created, whatever the records say.
func notBefore(s, floor string) string { return max(s, floor) }

// stamp formats t for STIX, or now if t is unknown.
func stamp(t, now time.Time) string {
	if t.IsZero() {
		t = now
	}
	return t.UTC().Format(stixTime)
}
