package taxii

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkObjectsPage measures one page of 100 objects of a key's
// collection over a league of 2,000 tickets with 3 verified indicators
// each (the whole view is built per request: load, filter, encode, the
// date_added of every object from the store).
func BenchmarkObjectsPage(b *testing.B) {
	e := newBenchEnv(b)
	c := e.key("partner", "amber", "", "")
	url := e.root + "collections/" + e.own("partner") + "/objects/?limit=100"
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("x", c.Key)
	req.Header.Set("Accept", MediaTAXII)
	// The first request records every date_added.
	do(b, req)
	b.ResetTimer()
	for b.Loop() {
		do(b, req)
	}
}

func do(b *testing.B, req *http.Request) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close()
}

func newBenchEnv(b *testing.B) *env {
	e := newEnvTB(b, Config{RatePerSecond: 1e9, Burst: 1 << 30})
	var ts []Ticket
	for n := int64(1); n <= 2000; n++ {
		tlp := "green"
		if n%3 == 0 {
			tlp = "amber"
		}
		ts = append(ts, ticket(n, tlp, "FR", "health",
			vi("domain", fmt.Sprintf("bad%d.example", n)),
			vi("url", fmt.Sprintf("http://bad%d.example/login", n)),
			vi("ipv4", fmt.Sprintf("45.133.%d.%d", n/250, n%250))))
	}
	e.src.tickets = ts
	return e
}

// BenchmarkObjectsPageChanged is BenchmarkObjectsPage when the data
// changed since the last request (a ticket updated), so that the view is
// built again: the export of every object, and date_added of the new
// version.
func BenchmarkObjectsPageChanged(b *testing.B) {
	e := newBenchEnv(b)
	c := e.key("partner", "amber", "", "")
	url := e.root + "collections/" + e.own("partner") + "/objects/?limit=100"
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.SetBasicAuth("x", c.Key)
	req.Header.Set("Accept", MediaTAXII)
	do(b, req)
	b.ResetTimer()
	for b.Loop() {
		e.src.mu.Lock()
		e.src.tickets[0].Updated = e.src.tickets[0].Updated.Add(time.Second)
		e.src.mu.Unlock()
		do(b, req)
	}
}
