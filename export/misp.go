package export

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The MISP feed format is what MISP's own feed generators write and its
// feed importer reads (Sync Actions > Feeds, input source "Network" or
// "Local", source format "MISP Feed"): a folder with manifest.json, which
// maps each event's uuid to its summary, one <uuid>.json per event, and
// hashes.csv, the MD5 of every attribute value with its event's uuid,
// which MISP uses to correlate a feed without importing it.
//
// Event files hold strings where MISP's own event export has strings
// (threat_level_id, analysis, timestamp); the manifest holds numbers, as
// PyMISP's feed generator writes it. MISP's importer reads either.

type mispOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type mispTag struct {
	Name   string `json:"name"`
	Colour string `json:"colour"`
}

type mispAttribute struct {
	UUID               string    `json:"uuid"`
	Type               string    `json:"type"`
	Category           string    `json:"category"`
	Value              string    `json:"value"`
	ToIDS              bool      `json:"to_ids"`
	Distribution       string    `json:"distribution"`
	Timestamp          string    `json:"timestamp"`
	Comment            string    `json:"comment"`
	Deleted            bool      `json:"deleted"`
	DisableCorrelation bool      `json:"disable_correlation"`
	Tag                []mispTag `json:"Tag"`
}

type mispEvent struct {
	UUID             string          `json:"uuid"`
	Info             string          `json:"info"`
	Date             string          `json:"date"`
	ThreatLevelID    string          `json:"threat_level_id"`
	Analysis         string          `json:"analysis"`
	Timestamp        string          `json:"timestamp"`
	PublishTimestamp string          `json:"publish_timestamp"`
	Published        bool            `json:"published"`
	Orgc             mispOrg         `json:"Orgc"`
	Tag              []mispTag       `json:"Tag"`
	Attribute        []mispAttribute `json:"Attribute"`
}

type mispManifestEntry struct {
	Orgc          mispOrg   `json:"Orgc"`
	Tag           []mispTag `json:"Tag"`
	Info          string    `json:"info"`
	Date          string    `json:"date"`
	Analysis      int       `json:"analysis"`
	ThreatLevelID int       `json:"threat_level_id"`
	Timestamp     int64     `json:"timestamp"`
}

// mispTypes maps indicator types to MISP attribute types and categories.
var mispTypes = map[string]struct{ typ, category string }{
	"url":    {"url", "Network activity"},
	"domain": {"domain", "Network activity"},
	"ipv4":   {"ip-dst", "Network activity"},
	"ipv6":   {"ip-dst", "Network activity"},
	"email":  {"email-src", "Payload delivery"}, // the sender of a phishing mail
	"md5":    {"md5", "Payload delivery"},
	"sha1":   {"sha1", "Payload delivery"},
	"sha256": {"sha256", "Payload delivery"},
	"cve":    {"vulnerability", "External analysis"},
}

// threatLevels maps severity to MISP's threat_level_id: 1 high, 2 medium,
// 3 low, 4 undefined.
var threatLevels = map[string]int{"critical": 1, "high": 1, "medium": 2, "low": 3}

// analyses maps ticket state to MISP's analysis: 0 initial, 1 ongoing,
// 2 completed.
var analyses = map[string]int{"new": 0, "triaged": 1, "escalated": 1, "closed": 2, "rejected": 2}

// tlpColours are FIRST's TLP 2.0 colours, for MISP's tag display.
var tlpColours = map[TLP]string{Clear: "#ffffff", Green: "#33ff00", Amber: "#ffc000", AmberStrict: "#ffc000", Red: "#ff2b2b"}

func tlpTag(l TLP) mispTag { return mispTag{Name: "tlp:" + l.String(), Colour: tlpColours[l]} }

// WriteMISP writes a MISP feed of what Filter lets out of ts into the
// folder dir, one event per ticket. The folder is written beside dir and
// renamed into place, so that a consumer never reads half a feed; what
// dir held before is removed.
func WriteMISP(dir string, ts []Ticket, o Options) error {
	files, err := mispFiles(ts, o)
	if err != nil {
		return err
	}
	return replaceDir(dir, files)
}

// mispFiles returns the files of the MISP feed by name.
func mispFiles(ts []Ticket, o Options) (map[string][]byte, error) {
	ts, err := Filter(ts, o)
	if err != nil {
		return nil, err
	}
	now := o.now()
	x := newIDs(o.league())
	org := mispOrg{Name: o.league(), UUID: x.id("misp-org")}
	files := make(map[string][]byte)
	manifest := make(map[string]mispManifestEntry)
	var hashes bytes.Buffer
	for _, t := range ts {
		num := strconv.FormatInt(t.Number, 10)
		l := marking(t)
		ev := mispEvent{
			UUID:          x.id("misp-event", num),
			Info:          fmt.Sprintf("League report #%d: %s", t.Number, strings.TrimSuffix(reportDescription(t), ".")),
			Date:          orNow(t.Created, now).Format(time.DateOnly),
			ThreatLevelID: strconv.Itoa(threatLevel(t.Severity)),
			Analysis:      strconv.Itoa(analyses[t.State]),
			Published:     true,
			Orgc:          org,
			Tag:           []mispTag{tlpTag(l)},
		}
		changed := orNow(latest(t.Created, t.Updated), now)
		for _, in := range t.Indicators {
			mt := mispTypes[in.Type]
			at := orNow(latest(in.LastSeen, t.Updated), now)
			changed = latest(changed, at)
			ev.Attribute = append(ev.Attribute, mispAttribute{
				UUID:     x.id("misp-attribute", num, in.Type, in.Value),
				Type:     mt.typ,
				Category: mt.category,
				Value:    in.Value,
				// An attribute is for detection only when a triager
				// verified it; a CVE is context, not something to match.
				ToIDS:        in.Verified && in.Type != "cve",
				Distribution: "5", // the event's, which the subscriber sets
				Timestamp:    strconv.FormatInt(at.Unix(), 10),
				Comment:      attributeComment(in, now),
				Tag:          []mispTag{tlpTag(tlpOf(in.TLP))},
			})
			sum := md5.Sum([]byte(in.Value))
			fmt.Fprintf(&hashes, "%s,%s\n", hex.EncodeToString(sum[:]), ev.UUID)
		}
		ev.Timestamp = strconv.FormatInt(changed.Unix(), 10)
		ev.PublishTimestamp = ev.Timestamp
		b, err := encodeJSON(map[string]mispEvent{"Event": ev})
		if err != nil {
			return nil, fmt.Errorf("encode MISP event %s: %w", ev.UUID, err)
		}
		files[ev.UUID+".json"] = b
		manifest[ev.UUID] = mispManifestEntry{Orgc: org, Tag: ev.Tag, Info: ev.Info, Date: ev.Date,
			Analysis: analyses[t.State], ThreatLevelID: threatLevel(t.Severity), Timestamp: changed.Unix()}
	}
	b, err := encodeJSON(manifest)
	if err != nil {
		return nil, fmt.Errorf("encode MISP manifest: %w", err)
	}
	files["manifest.json"] = b
	files["hashes.csv"] = hashes.Bytes()
	return files, nil
}

func threatLevel(severity string) int {
	if l, ok := threatLevels[strings.ToLower(severity)]; ok {
		return l
	}
	return 4
}

func attributeComment(in Indicator, now time.Time) string {
	var b strings.Builder
	if !in.Verified {
		b.WriteString("Unverified. ")
	}
	fmt.Fprintf(&b, "Reported to the league %s to %s", orNow(in.FirstSeen, now).Format(time.DateOnly),
		orNow(latest(in.FirstSeen, in.LastSeen), now).Format(time.DateOnly))
	for i, n := range in.Tickets {
		if i == 0 {
			b.WriteString(" in #")
		} else {
			b.WriteString(", #")
		}
		b.WriteString(strconv.FormatInt(n, 10))
	}
	b.WriteString(".")
	return b.String()
}

func orNow(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t.UTC()
}

// encodeJSON encodes v with sorted map keys and without HTML escaping
// (URLs keep their & and <), one value a file, ending in a newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
