package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestCSV(t *testing.T) {
	ts := []Ticket{
		{Number: 4, TLP: "green", Updated: t0, Indicators: []Indicator{
			v("url", `http://bad.example/a,b "q"`, t0, t1),
			v("domain", "bad.example", t0, t0),
		}},
		{Number: 9, TLP: "clear", Updated: t1, Indicators: []Indicator{v("domain", "bad.example", t1, t1)}},
	}
	// bad.example was verified on #9 too, which is TLP:CLEAR: the least
	// strict of the tickets that verified it is its TLP.
	var buf bytes.Buffer
	if err := WriteCSV(&buf, ts, Options{}); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`type,value,first_seen,last_seen,tickets,tlp
domain,bad.example,2026-11-23T09:00:00Z,2026-11-24T11:00:00Z,4 9,clear
url,"http://bad.example/a,b ""q""",2026-11-23T09:00:00Z,2026-11-24T11:00:00Z,4,green
`, "\n", "\r\n")
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 3 || rows[2][1] != `http://bad.example/a,b "q"` {
		t.Errorf("read back: %q, %v", rows, err)
	}
}
