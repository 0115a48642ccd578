package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/internal/taxiitest"
)

// names are the names (indicator values) of the indicators a client gets
// from a collection, every page followed.
func names(t *testing.T, c *taxiitest.Client, root, id string) []string {
	t.Helper()
	pages, err := c.AllObjects(root, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range pages {
		for _, o := range p.Objects {
			if o.Type == "indicator" {
				out = append(out, o.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

func status(err error) int {
	var e *taxiitest.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func TestDiscoveryAndAPIRoot(t *testing.T) {
	e := newEnv(t, Config{})
	var c taxiitest.Client
	d, err := c.Discover(e.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.APIRoots) != 1 || d.APIRoots[0] != e.root || d.Default != e.root {
		t.Fatalf("discovery %+v, want the one API root %s", d, e.root)
	}
	r, err := c.Root(d.APIRoots[0])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.Versions, MediaTAXII) {
		t.Fatalf("API root versions %v lack %s", r.Versions, MediaTAXII)
	}
}

func TestCollectionsWhoSeesWhat(t *testing.T) {
	e := newEnv(t, Config{})
	var anon taxiitest.Client
	if _, err := anon.Collections(e.root); status(err) != http.StatusUnauthorized {
		t.Fatalf("collections without a key and public = false: %v, want 401", err)
	}
	var ae *taxiitest.Error
	if _, err := anon.Collections(e.root); !errors.As(err, &ae) || len(ae.Header.Values("WWW-Authenticate")) == 0 {
		t.Fatalf("401 without WWW-Authenticate: %v", err)
	}
	if _, err := anon.ObjectsPage(e.root, e.public(), nil); status(err) != http.StatusUnauthorized {
		t.Fatalf("public objects without a key and public = false: %v, want 401", err)
	}
	fr := e.key("cert-fr", "amber", "FR", "")
	cs, err := fr.Collections(e.root)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
		if !c.CanRead || c.CanWrite || !slices.Contains(c.MediaTypes, MediaSTIX) {
			t.Errorf("collection %+v: want readable, not writable, of %s", c, MediaSTIX)
		}
	}
	if !slices.Equal(ids, []string{e.public(), e.own("cert-fr")}) {
		t.Fatalf("a key's collections %v, want the public one and its own", ids)
	}
	if c, err := fr.Collection(e.root, e.own("cert-fr")); err != nil || c.Alias != "cert-fr" {
		t.Fatalf("own collection: %+v %v", c, err)
	}

	pub := newEnv(t, Config{Public: true})
	cs, err = anon.Collections(pub.root)
	if err != nil || len(cs) != 1 || cs[0].ID != pub.public() {
		t.Fatalf("collections without a key, public = true: %+v %v, want the public one", cs, err)
	}
}

func TestForbiddenUnknownRevoked(t *testing.T) {
	e := newEnv(t, Config{Public: true})
	fr := e.key("cert-fr", "amber", "FR", "")
	e.key("hospital-b", "amber", "FR", "health")
	for _, path := range []string{"", "objects/", "manifest/"} {
		_, err := fr.Get(e.root+"collections/"+e.own("hospital-b")+"/"+path, &json.RawMessage{})
		if status(err) != http.StatusForbidden {
			t.Errorf("a key reading another key's collection %q: %v, want 403", path, err)
		}
	}
	var anon taxiitest.Client
	if _, err := anon.ObjectsPage(e.root, e.own("hospital-b"), nil); status(err) != http.StatusUnauthorized {
		t.Errorf("a key's collection without a key: %v, want 401", err)
	}
	if _, err := fr.ObjectsPage(e.root, "d0d3a2e5-0000-4000-8000-000000000000", nil); status(err) != http.StatusNotFound {
		t.Errorf("a collection that does not exist: %v, want 404", err)
	}
	if err := e.src.RevokeTAXIIKey(context.Background(), "cert-fr"); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.Collections(e.root); status(err) != http.StatusUnauthorized {
		t.Errorf("a revoked key: %v, want 401", err)
	}
	bad := &taxiitest.Client{Key: "lmtaxii_" + strings.Repeat("A", 43)}
	if _, err := bad.Collections(e.root); status(err) != http.StatusUnauthorized {
		t.Errorf("a made-up key: %v, want 401 (even with public = true: a wrong key is said so)", err)
	}
}

func TestViewsByTLPAndScope(t *testing.T) {
	e := newEnv(t, Config{Public: true})
	public := []string{"45.133.1.10", "green-fr.example", "http://green-fr.example/login"}
	var anon taxiitest.Client
	if got := names(t, &anon, e.root, e.public()); !slices.Equal(got, public) {
		t.Errorf("public: %v, want %v", got, public)
	}
	for _, tc := range []struct {
		name, tlp, country, sector string
		want                       []string
	}{
		// A GREEN key never sees AMBER, whatever its scope.
		{"green-key", "green", "", "", public},
		{"green-fr", "green", "FR", "health", public},
		{"clear-key", "clear", "", "", nil},
		{"cert-fr", "amber", "FR", "", append(slices.Clone(public), "amber-fr-health.example", "amber-fr-pharma.example")},
		{"hospital-fr", "amber", "FR", "health", append(slices.Clone(public), "amber-fr-health.example")},
		{"health-isac", "amber", "", "health", append(slices.Clone(public), "amber-de-health.example", "amber-fr-health.example")},
		{"partner", "amber", "", "", append(slices.Clone(public), "amber-de-health.example", "amber-fr-health.example", "amber-fr-pharma.example", "amber-nobody.example")},
		{"strict-fr", "amber+strict", "FR", "health", append(slices.Clone(public), "amber-fr-health.example", "strict-fr-health.example")},
	} {
		c := e.key(tc.name, tc.tlp, tc.country, tc.sector)
		got := names(t, c, e.root, e.own(tc.name))
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s (TLP %s, %q, %q): %v, want %v", tc.name, tc.tlp, tc.country, tc.sector, got, want)
		}
		for _, never := range []string{"red-fr.example", "pending.example"} {
			if slices.Contains(got, never) {
				t.Errorf("%s sees %s: red and pending evidence never leave", tc.name, never)
			}
		}
	}
}

func TestAmberNeverToGreenKey(t *testing.T) {
	e := newEnv(t, Config{})
	green := e.key("green-key", "green", "FR", "health")
	amber := STIXIDOf("Test League", "domain", "amber-fr-health.example")
	for _, id := range []string{e.public(), e.own("green-key")} {
		if _, err := green.Object(e.root, id, amber); status(err) != http.StatusNotFound {
			t.Errorf("the AMBER indicator by id in %s: %v, want 404", id, err)
		}
		p, err := green.ObjectsPage(e.root, id, url.Values{"match[id]": {amber}})
		if err != nil || len(p.Objects) != 0 {
			t.Errorf("match[id] of the AMBER indicator: %v %v, want nothing", taxiitest.IDs(p), err)
		}
		m, err := green.Manifest(e.root, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, me := range m.Objects {
			if me.ID == amber || me.ID == amberMarking {
				t.Errorf("manifest of %s lists %s", id, me.ID)
			}
		}
		pages, err := green.AllObjects(e.root, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			for _, o := range p.Objects {
				if strings.Contains(string(o.Raw), "amber") {
					t.Errorf("%s: a GREEN key got %s", id, o.Raw)
				}
			}
		}
	}
}

// amberMarking is the STIX 2.1 TLP:AMBER marking definition.
const amberMarking = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"

func TestObjectsAreTheExports(t *testing.T) {
	e := newEnv(t, Config{Public: true})
	var anon taxiitest.Client
	pages, err := anon.AllObjects(e.root, e.public(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range pages {
		for _, o := range p.Objects {
			got[o.ID] = string(o.Raw)
		}
	}
	var ts []export.Ticket
	for _, tk := range fixture() {
		ts = append(ts, tk.Ticket)
	}
	var bundle strings.Builder
	if err := export.WriteSTIX(&bundle, ts, export.Options{League: "Test League"}); err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal([]byte(bundle.String()), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Objects) != len(got) {
		t.Fatalf("%d objects over TAXII, %d in the export's bundle", len(got), len(b.Objects))
	}
	for _, raw := range b.Objects {
		var o struct{ ID string }
		json.Unmarshal(raw, &o)
		var a, c any
		json.Unmarshal(raw, &a)
		json.Unmarshal([]byte(got[o.ID]), &c)
		aj, _ := json.Marshal(a)
		cj, _ := json.Marshal(c)
		if string(aj) != string(cj) {
			t.Errorf("%s differs:\nexport %s\ntaxii  %s", o.ID, aj, cj)
		}
	}
}

func TestPagingThreePages(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.key("partner", "amber", "", "")
	all, err := c.AllObjects(e.root, e.own("partner"), nil)
	if err != nil {
		t.Fatal(err)
	}
	every := taxiitest.IDs(all...)
	limit := (len(every) + 2) / 3
	pages, err := c.AllObjects(e.root, e.own("partner"), url.Values{"limit": {itoa(limit)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 3 {
		t.Fatalf("%d objects at limit %d: %d pages, want 3", len(every), limit, len(pages))
	}
	if got := taxiitest.IDs(pages...); !slices.Equal(got, every) {
		t.Fatalf("paged: %v\nwhole: %v", got, every)
	}
	for i, p := range pages {
		if p.More != (i < 2) || len(p.Objects) > limit {
			t.Errorf("page %d: more %v with %d objects", i, p.More, len(p.Objects))
		}
		if p.AddedFirst.After(p.AddedLast) || (i > 0 && !p.AddedFirst.After(pages[i-1].AddedLast)) {
			t.Errorf("page %d: added %v..%v after %v", i, p.AddedFirst, p.AddedLast, pages[max(i-1, 0)].AddedLast)
		}
	}
	// Paging by added_after alone, as some clients do, gives the same.
	var byDate []string
	q := url.Values{"limit": {itoa(limit)}}
	for range 10 {
		p, err := c.ObjectsPage(e.root, e.own("partner"), q)
		if err != nil {
			t.Fatal(err)
		}
		byDate = append(byDate, taxiitest.IDs(p)...)
		if !p.More {
			break
		}
		q.Set("added_after", p.AddedLast.Format(time.RFC3339Nano))
	}
	if !slices.Equal(byDate, every) {
		t.Fatalf("paged by added_after: %v\nwant %v", byDate, every)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestAddedAfterOnlyNew(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.key("cert-fr", "amber", "FR", "")
	col := e.own("cert-fr")
	first, err := c.AllObjects(e.root, col, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := first[len(first)-1].AddedLast
	// Polling again with added_after gives nothing: nothing changed.
	p, err := c.ObjectsPage(e.root, col, url.Values{"added_after": {last.Format(time.RFC3339Nano)}})
	if err != nil || len(p.Objects) != 0 {
		t.Fatalf("a poll with nothing new: %v %v", taxiitest.IDs(p), err)
	}
	// A new verified indicator on a new ticket: the poll brings it, the
	// new report, and nothing it had already.
	e.src.add(ticket(9, "amber", "FR", "health", vi("domain", "new-fr.example")))
	time.Sleep(2 * time.Millisecond)
	pages, err := c.AllObjects(e.root, col, url.Values{"added_after": {last.Format(time.RFC3339Nano)}})
	if err != nil {
		t.Fatal(err)
	}
	got := taxiitest.IDs(pages...)
	want := []string{STIXIDOf("Test League", "domain", "new-fr.example"), ReportID("Test League", 9)}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("after a new ticket, added_after %v gives %v, want %v", last, got, want)
	}
	// date_added is stable: a full poll gives the old objects the stamps
	// they had.
	again, err := c.Manifest(e.root, col, url.Values{"limit": {"1000"}})
	if err != nil {
		t.Fatal(err)
	}
	firstAdded := map[string]time.Time{}
	m0, _ := c.Manifest(e.root, col, nil)
	for _, me := range m0.Objects {
		firstAdded[me.ID], _ = time.Parse(time.RFC3339Nano, me.DateAdded)
	}
	for _, me := range again.Objects {
		at, _ := time.Parse(time.RFC3339Nano, me.DateAdded)
		if !at.Equal(firstAdded[me.ID]) {
			t.Errorf("%s: date_added moved from %v to %v", me.ID, firstAdded[me.ID], at)
		}
	}
}

func TestFilters(t *testing.T) {
	e := newEnv(t, Config{Public: true})
	var c taxiitest.Client
	col := e.public()
	p, err := c.ObjectsPage(e.root, col, url.Values{"match[type]": {"indicator"}})
	if err != nil || len(p.Objects) != 3 {
		t.Fatalf("match[type]=indicator: %v %v, want the 3 indicators", taxiitest.IDs(p), err)
	}
	p, err = c.ObjectsPage(e.root, col, url.Values{"match[type]": {"report,identity"}})
	if err != nil || len(p.Objects) != 2 {
		t.Fatalf("match[type]=report,identity: %v %v, want 2", taxiitest.IDs(p), err)
	}
	id := STIXIDOf("Test League", "ipv4", "45.133.1.10")
	p, err = c.ObjectsPage(e.root, col, url.Values{"match[id]": {id}})
	if err != nil || len(p.Objects) != 1 || p.Objects[0].Pattern != "[ipv4-addr:value = '45.133.1.10']" {
		t.Fatalf("match[id]: %+v %v", p.Objects, err)
	}
	version := p.Objects[0].Modified
	for _, tc := range []struct {
		v    string
		want int
	}{{"last", 1}, {"first", 1}, {"all", 1}, {version, 1}, {"2020-01-01T00:00:00Z", 0}} {
		p, err := c.ObjectsPage(e.root, col, url.Values{"match[id]": {id}, "match[version]": {tc.v}})
		if err != nil || len(p.Objects) != tc.want {
			t.Errorf("match[version]=%s: %d objects %v, want %d", tc.v, len(p.Objects), err, tc.want)
		}
	}
	if p, err := c.ObjectsPage(e.root, col, url.Values{"match[spec_version]": {"2.0"}}); err != nil || len(p.Objects) != 0 {
		t.Errorf("match[spec_version]=2.0: %v %v, want none", taxiitest.IDs(p), err)
	}
	v, err := c.Get(e.root+"collections/"+col+"/objects/"+id+"/versions/", &struct{}{})
	if err != nil || v.Get("X-TAXII-Date-Added-First") == "" {
		t.Errorf("versions: %v", err)
	}
	for _, bad := range []url.Values{
		{"limit": {"0"}}, {"limit": {"x"}}, {"added_after": {"yesterday"}}, {"next": {"!!"}},
		{"match[id]": {"indicator--not-a-uuid"}}, {"match[type]": {"Indicator!"}}, {"match[version]": {"newest"}},
	} {
		if _, err := c.ObjectsPage(e.root, col, bad); status(err) != http.StatusBadRequest {
			t.Errorf("%v: %v, want 400", bad, err)
		}
	}
}

func TestAcceptAndMethods(t *testing.T) {
	e := newEnv(t, Config{Public: true})
	for accept, ok := range map[string]bool{
		"application/taxii+json;version=2.1": true, "application/taxii+json": true, "*/*": true,
		"application/json": false, "application/taxii+json;version=2.0": false, "text/html": false,
		"application/taxii+json;version=2.1;q=0": false,
		// What OpenCTI's TAXII ingester sends (its issue 4246): the */*
		// lets it in, as a strict server that refuses it breaks OpenCTI.
		"application/json, text/plain, */*": true,
	} {
		c := taxiitest.Client{Accept: accept}
		_, err := c.Collections(e.root)
		if ok && err != nil || !ok && status(err) != http.StatusNotAcceptable {
			t.Errorf("Accept %q: %v (want ok %v, else 406)", accept, err, ok)
		}
	}
	resp, err := http.Post(e.root+"collections/"+e.public()+"/objects/", MediaTAXII, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST objects: %d, want 405", resp.StatusCode)
	}
}

func TestBearerAndBasic(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.key("cert-fr", "amber", "FR", "")
	if _, err := c.Collections(e.root); err != nil {
		t.Fatalf("Basic: %v", err)
	}
	c.Bearer = true
	if _, err := c.Collections(e.root); err != nil {
		t.Fatalf("Bearer: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, Config{RatePerSecond: 1, Burst: 3})
	c := e.key("greedy", "green", "", "")
	other := e.key("calm", "green", "", "")
	for i := range 3 {
		if _, err := c.Collections(e.root); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	_, err := c.Collections(e.root)
	var te *taxiitest.Error
	if !errors.As(err, &te) || te.Status != http.StatusTooManyRequests || te.Header.Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %v, want 429 with Retry-After: 1", err)
	}
	if _, err := other.Collections(e.root); err != nil {
		t.Fatalf("another key is not slowed by the first: %v", err)
	}
	e.tick(time.Second)
	if _, err := c.Collections(e.root); err != nil {
		t.Fatalf("a second later: %v", err)
	}
}

func TestLogNamesKeyNeverKey(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.key("cert-fr", "amber", "FR", "")
	if _, err := c.ObjectsPage(e.root, e.own("cert-fr"), url.Values{"limit": {"2"}}); err != nil {
		t.Fatal(err)
	}
	bad := &taxiitest.Client{Key: c.Key[:len(c.Key)-1] + "x"}
	bad.Collections(e.root)
	// A key put in the URL by a tool that offers an api_key parameter.
	var anon taxiitest.Client
	anon.Get(e.root+"collections/?api_key="+c.Key, &struct{}{})
	log := e.logText()
	if !strings.Contains(log, "key=cert-fr") || !strings.Contains(log, "status=200") || !strings.Contains(log, "objects=2") {
		t.Errorf("the log does not name the key, the status and the objects:\n%s", log)
	}
	if !strings.Contains(log, "status=401") {
		t.Errorf("the refused key's request is not logged:\n%s", log)
	}
	if strings.Contains(log, c.Key) || strings.Contains(log, bad.Key) || strings.Contains(log, c.Key[len(keyPrefix):len(keyPrefix)+12]) {
		t.Errorf("the log holds a key:\n%s", log)
	}
}

func TestRequireTLS(t *testing.T) {
	e := newEnv(t, Config{RequireTLS: true, Public: true})
	c := e.key("cert-fr", "amber", "FR", "")
	if _, err := c.Collections(e.root); status(err) != http.StatusForbidden {
		t.Fatalf("a key over plain HTTP off loopback: %v, want 403", err)
	}
	var anon taxiitest.Client
	if _, err := anon.Collections(e.root); err != nil {
		t.Fatalf("the public collection needs no key: %v", err)
	}
}

// The view kept between requests follows the data: an institution that
// moves into a key's scope (its contact's country changed) is in the
// next answer, with a date_added after the poll before.
func TestViewFollowsScopeChange(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.key("cert-fr", "amber", "FR", "")
	col := e.own("cert-fr")
	before := names(t, c, e.root, col)
	if slices.Contains(before, "amber-de-health.example") {
		t.Fatalf("cert-fr sees the German ticket: %v", before)
	}
	first, _ := c.AllObjects(e.root, col, nil)
	last := first[len(first)-1].AddedLast
	e.src.mu.Lock()
	for i := range e.src.tickets {
		if e.src.tickets[i].Number == 3 {
			e.src.tickets[i].Country = "FR"
		}
	}
	e.src.mu.Unlock()
	if after := names(t, c, e.root, col); !slices.Contains(after, "amber-de-health.example") {
		t.Fatalf("after the contact moved to FR: %v", after)
	}
	p, err := c.ObjectsPage(e.root, col, url.Values{"added_after": {last.Format(time.RFC3339Nano)}, "match[type]": {"indicator"}})
	if err != nil || len(p.Objects) != 1 || p.Objects[0].Name != "amber-de-health.example" {
		t.Fatalf("added_after the last poll: %v %v, want the newly visible indicator", taxiitest.IDs(p), err)
	}
}
