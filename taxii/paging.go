package taxii

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Paging (TAXII 2.1 section 3.4): a page holds at most limit entries in
// date_added order, and next names the last entry served, so that the
// following page starts after it whatever was added meanwhile.
const (
	// DefaultLimit is the page size when the client gives none.
	DefaultLimit = 100
	// MaxLimit is the largest page served; a larger limit is lowered to
	// it (section 3.4.1 lets the server do so).
	MaxLimit = 1000
)

// timeLayout is how date_added and the X-TAXII-Date-Added-* headers are
// written: RFC 3339 in UTC with microseconds, the precision the store
// keeps, so that a stamp given back as added_after means exactly it.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// query is what a request asks of a list of objects.
type query struct {
	addedAfter time.Time
	limit      int
	next       *cursor
	ids        []string
	types      []string
	// versions are match[version]: "last" (the default), "first", "all"
	// or timestamps as STIX writes them.
	versions []string
	// specVersions are match[spec_version]; empty is the latest.
	specVersions []string
}

// cursor is where a page ended: the last entry's date_added and id.
type cursor struct {
	after time.Time
	id    string
}

func (c cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.after.UnixMicro(), 10) + " " + c.id))
}

var (
	typeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}$`)
	idRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// parseCursor reads next as String wrote it.
func parseCursor(s string) (*cursor, error) {
	if len(s) > 400 {
		return nil, fmt.Errorf("next is too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("next %q is not one this server gave", s)
	}
	us, id, ok := strings.Cut(string(raw), " ")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || n < 0 || !idRe.MatchString(id) {
		return nil, fmt.Errorf("next %q is not one this server gave", s)
	}
	return &cursor{after: time.UnixMicro(n).UTC(), id: id}, nil
}

// parseTime reads a TAXII timestamp (RFC 3339, any precision).
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 timestamp like 2026-01-02T15:04:05.000Z", s)
	}
	return t.UTC(), nil
}

// listValues gathers the comma-separated values of a match[...]
// parameter, given once or more (section 3.5.1).
func listValues(v url.Values, name string) []string {
	var out []string
	for _, s := range v[name] {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseQuery reads the URL parameters of a list of objects or of a
// manifest. Unknown parameters are ignored; a bad value of a known one
// is an error the client gets as 400.
func parseQuery(v url.Values) (query, error) {
	q := query{limit: DefaultLimit}
	if s := v.Get("added_after"); s != "" {
		t, err := parseTime(s)
		if err != nil {
			return q, fmt.Errorf("added_after: %w", err)
		}
		q.addedAfter = t
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return q, fmt.Errorf("limit %q: want a whole number of 1 or more", s)
		}
		q.limit = min(n, MaxLimit)
	}
	if s := v.Get("next"); s != "" {
		c, err := parseCursor(s)
		if err != nil {
			return q, err
		}
		q.next = c
	}
	q.ids = listValues(v, "match[id]")
	for _, id := range q.ids {
		if !idRe.MatchString(id) {
			return q, fmt.Errorf("match[id] %q is not a STIX id like indicator--<uuid>", id)
		}
	}
	q.types = listValues(v, "match[type]")
	for _, t := range q.types {
		if !typeRe.MatchString(t) {
			return q, fmt.Errorf("match[type] %q is not a STIX type like indicator", t)
		}
	}
	q.versions = listValues(v, "match[version]")
	for _, s := range q.versions {
		if s != "last" && s != "first" && s != "all" {
			if _, err := parseTime(s); err != nil {
				return q, fmt.Errorf("match[version]: want last, first, all or a timestamp: %w", err)
			}
		}
	}
	q.specVersions = listValues(v, "match[spec_version]")
	for _, s := range q.specVersions {
		if len(s) > 10 {
			return q, fmt.Errorf("match[spec_version] %q: want 2.1", s)
		}
	}
	return q, nil
}

// matches says whether an entry passes the filters, paging aside. The
// server holds one version of each object (the current one), which is
// its first, last and all; a timestamp matches that version only.
func (q query) matches(e entry) bool {
	if len(q.ids) > 0 && !slices.Contains(q.ids, e.obj.ID) {
		return false
	}
	if len(q.types) > 0 && !slices.Contains(q.types, e.obj.Type) {
		return false
	}
	if len(q.specVersions) > 0 && !slices.Contains(q.specVersions, e.obj.SpecVersion) {
		return false
	}
	if !q.addedAfter.IsZero() && !e.added.After(q.addedAfter) {
		return false
	}
	if len(q.versions) > 0 {
		ok := false
		for _, v := range q.versions {
			switch v {
			case "last", "first", "all":
				ok = true
			default:
				a, _ := parseTime(v)
				b, err := parseTime(e.obj.Version)
				ok = ok || (err == nil && a.Equal(b))
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// page applies q to entries (in date_added order): the entries of this
// page, and the cursor of the next one if there is more.
func (q query) page(entries []entry) ([]entry, *cursor) {
	var out []entry
	for _, e := range entries {
		if q.next != nil && !q.next.before(e) {
			continue
		}
		if !q.matches(e) {
			continue
		}
		if len(out) == q.limit {
			last := out[len(out)-1]
			return out, &cursor{after: last.added, id: last.obj.ID}
		}
		out = append(out, e)
	}
	return out, nil
}

// before says whether the cursor's entry comes before e.
func (c cursor) before(e entry) bool {
	if !e.added.Equal(c.after) {
		return e.added.After(c.after)
	}
	return e.obj.ID > c.id
}
