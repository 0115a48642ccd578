package takedown

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openrdap/rdap"
)

// FuzzDecode: the RDAP reader never panics, and what it returns can be
// searched for abuse contacts without panicking.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"domain-evil.example.json", "ip-192.0.2.10.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "rdap", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"errorCode": 404}`))
	f.Add([]byte(`{"objectClassName": "domain", "entities": [{"roles": "abuse", "vcardArray": ["vcard", [["email", {}, "text", 7]]]}]}`))
	f.Add([]byte(`{"objectClassName": "ip network", "entities": [{"entities": [{"roles": ["abuse"], "vcardArray": ["vcard", [[]]]}]}]}`))
	f.Add([]byte(`{"objectClassName": "domain", "entities": [{"vcardArray": ["vcard", [["email", {"type": [1, {}]}, "text", ["a", ["b", ["c"]]]]]]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		obj, err := Decode(b)
		if err != nil {
			return
		}
		switch v := obj.(type) {
		case *rdap.Domain:
			domainAbuse(v)
		case *rdap.IPNetwork:
			networkAbuse(v)
			originASNs(v)
		default:
			t.Fatalf("Decode returned %T", obj)
		}
	})
}

func TestDecodeAbuse(t *testing.T) {
	b, _ := os.ReadFile("testdata/rdap/domain-evil.example.json")
	obj, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := domainAbuse(obj.(*rdap.Domain))
	if !ok || c.Email != registrarAbuse || c.Name != "Example Registrar, Inc." {
		t.Errorf("registrar's abuse: %+v", c)
	}
	// Redacted values are no address: an answer with only those has no
	// abuse contact.
	obj, err = Decode([]byte(`{"objectClassName": "domain", "entities": [{"roles": ["abuse"], "vcardArray": ["vcard",
	  [["version", {}, "text", "4.0"], ["email", {}, "text", "REDACTED FOR PRIVACY"], ["email", {}, "text", "https://registrar.example/contact-form"]]]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := domainAbuse(obj.(*rdap.Domain)); ok {
		t.Errorf("a redacted email read as an address: %+v", c)
	}
	for _, bad := range []string{"", "null", "[]", `"x"`, "<html>", `{"rdapConformance": ["rdap_level_0"], "notices": []}`} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) succeeded", bad)
		}
	}
}

func TestJudge(t *testing.T) {
	const u = "http://vpn-renew.evil.example/login"
	cases := []struct {
		status int
		final  string
		want   string
	}{
		{200, u, VerdictUp},
		{200, "http://www.evil.example/", VerdictUp},
		{403, u, VerdictUp}, // a kit cloaking us is still up
		{404, u, VerdictDown},
		{410, u, VerdictDown},
		{451, u, VerdictDown},
		{502, u, VerdictUnreachable},
		{504, u, VerdictUnreachable},
		{500, u, VerdictUnknown},
		{200, "https://suspended.hoster.example/", VerdictMoved},
	}
	for _, c := range cases {
		if got := Judge(u, c.status, c.final); got != c.want {
			t.Errorf("Judge(%d, %s) = %s, want %s", c.status, c.final, got, c.want)
		}
	}
	// Without a proxy, a refused connection and a name gone are down.
	ck, _ := NewChecker("", time.Second)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	if r := ck.Check(context.Background(), "http://"+addr+"/"); r.Verdict != VerdictDown {
		t.Errorf("refused: %+v", r)
	}
	if r := ck.Check(context.Background(), "http://no-such-name.invalid/"); r.Verdict != VerdictDown {
		t.Errorf("NXDOMAIN: %+v", r)
	}
}

// An https URL through a proxy that cannot reach the site: net/http
// gives the CONNECT's status as an error, which must read as
// unreachable (down after two), not as "unknown" forever.
func TestCheckConnectRefused(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect && r.Host == "gone.example:443" {
			http.Error(w, "no such host", http.StatusBadGateway)
			return
		}
		http.Error(w, "unexpected", http.StatusTeapot)
	}))
	defer proxy.Close()
	ck, err := NewChecker(proxy.URL, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r := ck.Check(context.Background(), "https://gone.example/login"); r.Verdict != VerdictUnreachable {
		t.Errorf("CONNECT refused with 502: %+v", r)
	}
	// The proxy itself down is not the site's fault: unknown.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	ck, _ = NewChecker("http://"+addr, 2*time.Second)
	if r := ck.Check(context.Background(), "https://gone.example/login"); r.Verdict != VerdictUnknown {
		t.Errorf("proxy down: %+v", r)
	}
}

// A redirect to another registrable domain (a hoster's suspension page)
// is down only after two checks; the watch ends after watch_for.
func TestMovedTwiceIsDown(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WatchFor = 48 * time.Hour })
	f.report()
	f.triager("#verify", "#takedown")
	f.tick()
	f.site.set(200, "http://suspended.hoster.example/")
	f.advance(2 * time.Hour)
	f.tick()
	if len(f.events("takedown-down")) != 0 {
		t.Fatal("down after one redirect away")
	}
	if evs := f.events("takedown-check"); !strings.Contains(evs[len(evs)-1].Detail, "ends at hxxp://suspended[.]hoster[.]example/, moved") {
		t.Errorf("check: %s", evs[len(evs)-1].Detail)
	}
	f.advance(4 * time.Hour)
	f.tick()
	if len(f.events("takedown-down")) != 1 {
		t.Fatalf("not down after two redirects away: %+v", f.events("takedown-check"))
	}
	// Checks go on (it may come back) until watch_for, then stop.
	for i := 0; i < 10; i++ {
		f.advance(12 * time.Hour)
		f.tick()
	}
	ws, _ := f.st.Watches(f.ctx, 1)
	if len(ws) != 1 || !ws[0].NextAt.IsZero() {
		t.Errorf("the watch did not end: %+v", ws)
	}
	n := len(f.events("takedown-check"))
	f.advance(48 * time.Hour)
	f.tick()
	if len(f.events("takedown-check")) != n {
		t.Error("checked after the watch ended")
	}
}

// A URL still up when watch_for ends: the triagers are told, the checks
// stop.
func TestWatchExpires(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.WatchFor = 24 * time.Hour })
	f.report()
	f.triager("#verify", "#takedown")
	f.tick()
	for i := 0; i < 6; i++ {
		f.advance(8 * time.Hour)
		f.tick()
	}
	if evs := f.events("takedown-expired"); len(evs) != 1 {
		t.Fatalf("expired events: %+v", evs)
	}
	reqs, _ := f.st.TakedownRequests(f.ctx, 1, false)
	for _, r := range reqs {
		if r.Type == "url" && r.State != "expired" {
			t.Errorf("request %+v", r)
		}
	}
}

func TestBootstrapSources(t *testing.T) {
	if _, err := NewBootstrap("http://data.iana.example/rdap/", nil, nil); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("plain http to a remote host: %v", err)
	}
	if _, err := NewBootstrap("/no/such/folder", nil, nil); err == nil {
		t.Error("a missing folder accepted")
	}
	// A base that answers garbage: the embedded copy serves, and the
	// fetch is tried again later, not on every look-up.
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte("not json"))
	}))
	defer srv.Close()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	b, err := NewBootstrap(srv.URL, nil, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	urls, err := b.DomainServers(context.Background(), "phish.com")
	if err != nil || len(urls) == 0 || urls[0].Host != "rdap.verisign.com" {
		t.Fatalf("embedded fallback: %v %v", urls, err)
	}
	ips, err := b.IPServers(context.Background(), net.ParseIP("193.0.0.1"))
	if err != nil || len(ips) == 0 || ips[0].Scheme != "https" {
		t.Fatalf("embedded ipv4 (https only): %v %v", ips, err)
	}
	before := hits
	b.DomainServers(context.Background(), "phish.com")
	if hits != before {
		t.Errorf("a failed fetch is retried on every look-up")
	}
	// A TLD the copy held lacks, while the fetch fails: worth retrying.
	_, err = NewRDAP(nil).Domain(context.Background(), b, "phish.zz")
	var le *LookupError
	if !errors.As(err, &le) || !le.Temporary || !strings.Contains(le.Why, "using the copy held") {
		t.Errorf("no server while the bootstrap fetch fails: %v", err)
	}
	// A good base, a day later, replaces the copy.
	dir := writeBootstrap(t, "http://127.0.0.1:9")
	good := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer good.Close()
	b2, _ := NewBootstrap(good.URL, nil, func() time.Time { return now })
	urls, err = b2.DomainServers(context.Background(), "evil.example")
	if err != nil || urls[0].Host != "127.0.0.1:9" {
		t.Fatalf("fetched bootstrap: %v %v", urls, err)
	}
}
