package notify

import (
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Indicator is one indicator as the machine-readable attachments carry it.
// Package export writes its feeds with the same functions.
type Indicator struct {
	Type      string // url, domain, ipv4, ipv6, email, md5, sha1, sha256, cve
	Value     string // normalised, not defanged
	FirstSeen time.Time
	LastSeen  time.Time
	Tickets   []int64 // the tickets it was seen on
	TLP       string  // clear, green, amber, red
}

// csvHeader is the header line of WriteCSV's output.
var csvHeader = []string{"type", "value", "first_seen", "last_seen", "tickets", "tlp"}

// WriteCSV writes the indicators as CSV (RFC 4180, CRLF line ends) with a
// header line: type,value,first_seen,last_seen,tickets,tlp. Times are RFC
// 3339 in UTC; tickets are separated by spaces.
func WriteCSV(w io.Writer, inds []Indicator) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, in := range inds {
		ts := make([]string, len(in.Tickets))
		for i, t := range in.Tickets {
			ts[i] = strconv.FormatInt(t, 10)
		}
		rec := []string{in.Type, in.Value, csvTime(in.FirstSeen), csvTime(in.LastSeen), strings.Join(ts, " "), in.TLP}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// STIXOptions says who made a bundle and when.
type STIXOptions struct {
	// Identity names the league, the creator of every object.
	Identity string
	// Created is the bundle's time, used for objects that have no first
	// sighting.
	Created time.Time
	// TLP marks every object: clear, green, amber (the default) or red.
	TLP string
}

// rootSpace is the namespace of every league's own namespace, the one
// package export uses too: an indicator has the same id in an escalation's
// bundle and in the league's feeds, as long as both are given the same
// league name.
var rootSpace = [16]byte{0x28, 0xc0, 0x03, 0x17, 0x71, 0x99, 0x4c, 0x83, 0x88, 0x2c, 0xe1, 0x46, 0x9c, 0x9f, 0x6d, 0xae}

// uuid5 makes a name-based UUID (RFC 9562 section 5.5).
func uuid5(ns [16]byte, name string) [16]byte {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

func uuidString(u [16]byte) string {
	x := hex.EncodeToString(u[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// stixID returns the id of the object of league named by parts, joined
// with "|".
func stixID(league, typ string, parts ...string) string {
	ns := uuid5(rootSpace, "league:"+league)
	return typ + "--" + uuidString(uuid5(ns, strings.Join(append([]string{typ}, parts...), "|")))
}

// STIXID returns the stable id of an indicator's STIX object in the
// bundles of league: a vulnerability for a CVE, else an indicator.
func STIXID(league, typ, value string) string {
	if typ == "cve" {
		return stixID(league, "vulnerability", value)
	}
	return stixID(league, "indicator", typ, value)
}

// tlpMarkings are the TLP marking definitions of STIX 2.1 (section 7.2.1.4),
// with their fixed ids; TLP 2.0's "clear" is TLP 1.0's "white".
var tlpMarkings = map[string]struct{ id, name, tlp string }{
	"clear": {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE", "white"},
	"white": {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE", "white"},
	"green": {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN", "green"},
	"amber": {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER", "amber"},
	"red":   {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED", "red"},
}

// stixTime writes a STIX timestamp: UTC, milliseconds, Z.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// STIXPattern returns the STIX patterning expression that matches an
// indicator, or "" for a type without one (cve, which becomes a
// vulnerability object instead).
func STIXPattern(typ, value string) string {
	q := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(value) + "'"
	switch typ {
	case "url":
		return "[url:value = " + q + "]"
	case "domain":
		return "[domain-name:value = " + q + "]"
	case "ipv4":
		return "[ipv4-addr:value = " + q + "]"
	case "ipv6":
		return "[ipv6-addr:value = " + q + "]"
	case "email":
		return "[email-addr:value = " + q + "]"
	case "md5":
		return "[file:hashes.MD5 = " + q + "]"
	case "sha1":
		return "[file:hashes.'SHA-1' = " + q + "]"
	case "sha256":
		return "[file:hashes.'SHA-256' = " + q + "]"
	}
	return ""
}

type stixObject map[string]any

// WriteSTIX writes the indicators as a STIX 2.1 bundle: an identity for
// the league, the TLP marking definition, one indicator object per
// indicator (a vulnerability object per CVE), each with a stable id
// (STIXID, the same as package export's), created at its first sighting and modified at its last. Types
// it cannot express are left out.
func WriteSTIX(w io.Writer, inds []Indicator, opts STIXOptions) error {
	if opts.Created.IsZero() {
		opts.Created = time.Now()
	}
	if opts.Identity == "" {
		opts.Identity = "leaguemail"
	}
	tlp, ok := tlpMarkings[strings.ToLower(opts.TLP)]
	if !ok {
		tlp = tlpMarkings["amber"]
	}
	epoch := stixTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	identity := stixID(opts.Identity, "identity")
	marking := stixObject{
		"type": "marking-definition", "spec_version": "2.1", "id": tlp.id, "created": "2017-01-20T00:00:00.000Z",
		"definition_type": "tlp", "name": tlp.name, "definition": map[string]string{"tlp": tlp.tlp},
	}
	objects := []stixObject{
		{"type": "identity", "spec_version": "2.1", "id": identity, "created": epoch, "modified": epoch,
			"name": opts.Identity, "identity_class": "organization", "sectors": []string{"healthcare"}},
		marking,
	}
	var ids []string
	for _, in := range inds {
		first, last := in.FirstSeen, in.LastSeen
		if first.IsZero() {
			first = opts.Created
		}
		if last.Before(first) {
			last = first
		}
		o := stixObject{
			"spec_version": "2.1", "id": STIXID(opts.Identity, in.Type, in.Value),
			"created": stixTime(first), "modified": stixTime(last),
			"created_by_ref": identity, "object_marking_refs": []string{tlp.id},
		}
		if in.Type == "cve" {
			cve := strings.ToUpper(in.Value)
			o["type"], o["name"] = "vulnerability", cve
			o["external_references"] = []map[string]string{{"source_name": "cve", "external_id": cve}}
		} else {
			p := STIXPattern(in.Type, in.Value)
			if p == "" {
				continue
			}
			o["type"], o["name"] = "indicator", in.Type+" "+in.Value
			o["pattern"], o["pattern_type"], o["valid_from"] = p, "stix", stixTime(first)
			o["indicator_types"] = []string{"malicious-activity"}
			if len(in.Tickets) > 0 {
				refs := make([]map[string]string, len(in.Tickets))
				for i, t := range in.Tickets {
					refs[i] = map[string]string{"source_name": opts.Identity, "external_id": "ticket-" + strconv.FormatInt(t, 10)}
				}
				o["external_references"] = refs
			}
		}
		objects = append(objects, o)
		ids = append(ids, o["id"].(string))
	}
	slices.Sort(ids)
	bundle := struct {
		Type    string       `json:"type"`
		ID      string       `json:"id"`
		Objects []stixObject `json:"objects"`
	}{"bundle", stixID(opts.Identity, "bundle", stixTime(opts.Created), strings.Join(ids, ",")), objects}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(bundle); err != nil {
		return fmt.Errorf("write stix: %w", err)
	}
	return nil
}
