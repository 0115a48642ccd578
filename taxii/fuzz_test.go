package taxii

import (
	"net/url"
	"testing"
	"time"
)

// FuzzParseQuery: the query string of a request is the client's; parsing
// it never panics, and a next it accepts names a cursor that prints back
// the same.
func FuzzParseQuery(f *testing.F) {
	f.Add("added_after=2026-11-23T09:00:00.000000Z&limit=2")
	f.Add("match[id]=indicator--0b6c8e7e-1b4a-5d3e-8f1a-2b3c4d5e6f70,report--x&match[type]=indicator")
	f.Add("next=" + cursor{after: time.UnixMicro(1764000000000000), id: "indicator--0b6c8e7e-1b4a-5d3e-8f1a-2b3c4d5e6f70"}.String())
	f.Add("match[version]=all&match[spec_version]=2.1&limit=99999999999999999999")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQuery(v)
		if err != nil {
			return
		}
		if q.limit < 1 || q.limit > MaxLimit {
			t.Fatalf("limit %d out of range", q.limit)
		}
		if q.next != nil {
			back, err := parseCursor(q.next.String())
			if err != nil || !back.after.Equal(q.next.after) || back.id != q.next.id {
				t.Fatalf("cursor %v does not read back: %v %v", q.next, back, err)
			}
		}
	})
}

// FuzzCredentials: the Authorization header is the client's.
func FuzzCredentials(f *testing.F) {
	f.Add("Bearer lmtaxii_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("Basic Y29uc3VtZXI6bG10YXhpaV9BQUFB")
	f.Add("basic !!!")
	f.Add("Digest x")
	f.Fuzz(func(t *testing.T, header string) {
		key, present := credentials(header)
		if !present && key != "" {
			t.Fatalf("no credentials but key %q", key)
		}
		if wellFormed(key) && len(key) != keyLen {
			t.Fatalf("well-formed key of length %d", len(key))
		}
	})
}
