package taxii

import (
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/export"
)

func TestCursorRoundTrip(t *testing.T) {
	c := cursor{after: time.Date(2026, 11, 23, 9, 0, 0, 123456000, time.UTC), id: "indicator--0b6c8e7e-1b4a-5d3e-8f1a-2b3c4d5e6f70"}
	back, err := parseCursor(c.String())
	if err != nil || !back.after.Equal(c.after) || back.id != c.id {
		t.Fatalf("%v read back as %v, %v", c, back, err)
	}
	for _, bad := range []string{"", "x", c.String() + "=", "MTIz", "LTEgaW5kaWNhdG9yLS14"} {
		if _, err := parseCursor(bad); err == nil {
			t.Errorf("next %q accepted", bad)
		}
	}
}

// A page starts after the cursor even when entries share a date_added.
func TestPageAfterCursor(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	mk := func(id string, d time.Duration) entry {
		return entry{obj: export.STIXObject{ID: "indicator--" + id, Type: "indicator", SpecVersion: "2.1"}, added: at.Add(d)}
	}
	es := []entry{mk("a", 0), mk("b", 0), mk("c", time.Microsecond), mk("d", 2*time.Microsecond)}
	q := query{limit: 2}
	p1, next := q.page(es)
	if len(p1) != 2 || next == nil || next.id != "indicator--b" {
		t.Fatalf("page 1: %v next %v", p1, next)
	}
	q.next = next
	p2, next := q.page(es)
	if len(p2) != 2 || p2[0].obj.ID != "indicator--c" || next != nil {
		t.Fatalf("page 2: %v next %v", p2, next)
	}
}

func TestCredentials(t *testing.T) {
	for header, want := range map[string]string{
		"Bearer lmtaxii_k":               "lmtaxii_k",
		"bearer   lmtaxii_k ":            "lmtaxii_k",
		"Basic Y29uc3VtZXI6bG10YXhpaV9r": "lmtaxii_k", // consumer:lmtaxii_k
		"Basic bG10YXhpaV9r":             "lmtaxii_k", // lmtaxii_k, no colon: the user name field
		"Basic bG10YXhpaV9rOg==":         "lmtaxii_k", // lmtaxii_k: with an empty password
		"Negotiate abc":                  "",
	} {
		if got, present := credentials(header); got != want || !present {
			t.Errorf("%q: %q %v, want %q", header, got, present, want)
		}
	}
	if _, present := credentials(""); present {
		t.Error("no header: credentials present")
	}
	key, hash, err := NewKey()
	if err != nil || !wellFormed(key) || len(hash) != 32 || string(HashKey(key)) != string(hash) {
		t.Fatalf("NewKey: %q %x %v", key, hash, err)
	}
	if wellFormed(key[:len(key)-1]) || wellFormed("x"+key[1:]) {
		t.Error("a truncated or altered key is well-formed")
	}
}
