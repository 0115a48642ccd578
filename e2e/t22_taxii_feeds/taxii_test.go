// Package t22_taxii_feeds proves that the TAXII 2.1 server of the built
// binary serves the league's verified indicators to each consumer as its
// key allows, over HTTPS: two hospitals report through Postfix and
// Dovecot, the triager verifies by mail (one ticket TLP:AMBER, the others
// GREEN), and TAXII clients written from the specification
// (internal/taxiitest) pull the collections: discovery, the API root, the
// collections, paging across 3 pages, added_after returning only what is
// new, 401 without a key, 403 for another key's collection, and the AMBER
// indicator never reaching a GREEN key nor a key of another country. The
// public collection holds exactly the objects of `leaguemail export`.
package t22_taxii_feeds

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/internal/taxiitest"
	"github.com/hospital-league/leaguemail/internal/testcert"
	"github.com/hospital-league/leaguemail/taxii"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	league    = "Hospital League (e2e)"
	triager   = "alex@volunteers.example"
	hospitalA = "soc@hospital-a.example"
	hospitalB = "soc@hospital-b.example"
	// The AMBER ticket's indicators, from a French hospital.
	amberURL = "http://nurse-portal.staff-badge-renew.com/login"
	amberIP  = "45.133.1.20"
)

var keyRe = regexp.MustCompile(`lmtaxii_[A-Za-z0-9_-]{43}`)

// addKey runs `taxii keys add` and returns the key it printed.
func addKey(t *testing.T, e *e2etest.Env, args ...string) string {
	t.Helper()
	out := e.Run(append([]string{"taxii", "keys", "add"}, args...)...)
	k := keyRe.FindString(out)
	if k == "" {
		t.Fatalf("taxii keys add %v printed no key: %s", args, out)
	}
	return k
}

// report sends a report and has the triager run commands on it by
// replying to their notice; it returns once the commands are confirmed.
func report(t *testing.T, e *e2etest.Env, n int, from, body, commands string) {
	t.Helper()
	tag := "[League #" + strconv.Itoa(n) + "]"
	e.Send(from, []string{e2etest.Address}, e2etest.Compose{
		From: from, To: e2etest.Address, Subject: "Phishing wave " + strconv.Itoa(n),
		MessageID: "<report-" + strconv.Itoa(n) + ".t22@" + strings.Split(from, "@")[1] + ">",
		Body:      "Hello,\n\nour staff received this:\n" + body + "\n\nRegards,\nSOC\n",
	}.Bytes())
	notice := e.WaitMail(triager, "INBOX", "the triager's notice of "+tag, 30*time.Second, e2etest.SubjectHas(tag, "New report"))
	replyTo := notice.Addresses("Reply-To")
	e.Send(triager, replyTo, e2etest.Compose{
		From: "Alex <" + triager + ">", To: replyTo[0], Subject: "Re: " + notice.Header("Subject"),
		MessageID: "<cmd-" + strconv.Itoa(n) + ".t22@volunteers.example>",
		InReplyTo: notice.Header("Message-ID"), References: []string{notice.Header("Message-ID")},
		Body: commands + "\n",
	}.Bytes())
	e.WaitMail(triager, "INBOX", "the confirmation of "+tag, 30*time.Second, e2etest.SubjectHas(tag, "Done"))
}

func TestTAXIIFeeds(t *testing.T) {
	e := e2etest.Start(t, hospitalA, hospitalB)
	cert, key := filepath.Join(e.Dir, "https.pem"), filepath.Join(e.Dir, "https.key")
	if err := testcert.Write(cert, key, "leaguemail e2e"); err != nil {
		t.Fatal(err)
	}
	e.Data.TLSCert, e.Data.TLSKey = cert, key
	e.WriteConfig(filepath.Join("testdata", "leaguemail.toml.tmpl"))
	pem, _ := os.ReadFile(cert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	e.HTTPClient = hc

	if out := e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv")); !strings.Contains(out, "3 added") {
		t.Fatalf("contacts import: %s", out)
	}
	greenKey := addKey(t, e, "soc-green", "--tlp", "green")
	certFR := addKey(t, e, "cert-fr", "--tlp", "amber", "--country", "FR")
	hospB := addKey(t, e, "hospital-b", "--tlp", "amber", "--country", "DE", "--sector", "health")

	t.Run("plain HTTP off loopback is refused once keys exist", func(t *testing.T) {
		tmpl := filepath.Join("testdata", "leaguemail.toml.tmpl")
		keep := e.Data
		_, port, _ := net.SplitHostPort(e.Data.HTTPListen)
		e.Data.TLSCert, e.Data.TLSKey, e.Data.HTTPListen = "", "", "0.0.0.0:"+port
		e.WriteConfig(tmpl)
		r := e2etest.Exec(t, e.Bin, "serve", "--config", e.Config)
		e.Data = keep
		e.WriteConfig(tmpl)
		if r.Code != 1 || !strings.Contains(r.Stderr, "leaguemail.toml:") || !strings.Contains(r.Stderr, "[http] listen: 0.0.0.0:"+port+" is not a loopback address") ||
			!strings.Contains(r.Stderr, "tls_cert") {
			t.Errorf("serve over plain HTTP on 0.0.0.0 with keys: exit %d\n%s", r.Code, r.Stderr)
		}
	})

	gw := e.ServeHTTPS()
	report(t, e, 1, hospitalA, amberURL+"\nsent from "+amberIP, "#tlp amber\n#verify")
	report(t, e, 2, hospitalB, "http://invoice.payroll-check-de.com/pay\nhttp://mail.payroll-check-de.com/owa", "#tlp green\n#verify")

	client := func(k string) *taxiitest.Client { return &taxiitest.Client{HTTP: hc, Key: k} }
	anon := client("")
	fr, green, de := client(certFR), client(greenKey), client(hospB)

	d, err := anon.Discover(gw.URL)
	if err != nil {
		t.Fatal(err)
	}
	root := gw.URL + taxii.RootPath
	if len(d.APIRoots) != 1 || d.APIRoots[0] != root {
		t.Fatalf("discovery: %+v, want the API root %s", d, root)
	}
	if r, err := anon.Root(root); err != nil || !slices.Contains(r.Versions, taxiitest.MediaTAXII) {
		t.Fatalf("API root: %+v %v", r, err)
	}
	publicID := taxii.PublicCollectionID(league)
	frID, deID, greenID := taxii.KeyCollectionID(league, "cert-fr"), taxii.KeyCollectionID(league, "hospital-b"), taxii.KeyCollectionID(league, "soc-green")

	t.Run("collections", func(t *testing.T) {
		cs, err := anon.Collections(root)
		if err != nil || len(cs) != 1 || cs[0].ID != publicID {
			t.Errorf("without a key: %+v %v, want the public collection only", cs, err)
		}
		cs, err = fr.Collections(root)
		if err != nil || len(cs) != 2 || cs[1].ID != frID || cs[1].Alias != "cert-fr" {
			t.Errorf("cert-fr: %+v %v, want public and its own", cs, err)
		}
	})

	t.Run("401 without a key, 403 for another key's collection", func(t *testing.T) {
		var te *taxiitest.Error
		if _, err := anon.ObjectsPage(root, frID, nil); !errors.As(err, &te) || te.Status != 401 {
			t.Errorf("cert-fr's objects without a key: %v, want 401", err)
		}
		if _, err := de.ObjectsPage(root, frID, nil); !errors.As(err, &te) || te.Status != 403 {
			t.Errorf("hospital-b reading cert-fr's collection: %v, want 403", err)
		}
		if _, err := client(certFR[:len(certFR)-2] + "zz").Collections(root); !errors.As(err, &te) || te.Status != 401 {
			t.Errorf("a wrong key: %v, want 401", err)
		}
	})

	amberID := taxii.STIXIDOf(league, "url", amberURL)
	sees := func(t *testing.T, c *taxiitest.Client, col string) map[string]string {
		t.Helper()
		pages, err := c.AllObjects(root, col, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range pages {
			for _, o := range p.Objects {
				out[o.ID] = string(o.Raw)
			}
		}
		return out
	}
	t.Run("AMBER only to the keys it is for", func(t *testing.T) {
		if _, ok := sees(t, fr, frID)[amberID]; !ok {
			t.Fatalf("cert-fr (AMBER, FR) does not get the French AMBER indicator %s", amberID)
		}
		for name, got := range map[string]map[string]string{
			"soc-green (GREEN)":      sees(t, green, greenID),
			"public":                 sees(t, anon, publicID),
			"hospital-b (AMBER, DE)": sees(t, de, deID),
		} {
			if len(got) == 0 {
				t.Errorf("%s: nothing at all", name)
			}
			for id, raw := range got {
				if strings.Contains(raw, "staff-badge-renew") || strings.Contains(raw, amberIP) || strings.Contains(raw, "f88d31f6-486f-44da-b317-01333bde0b82") {
					t.Errorf("%s got %s: %s", name, id, raw)
				}
			}
		}
	})

	t.Run("the public collection is the export", func(t *testing.T) {
		out := e.Run("export", "--format", "stix", "--out", "-", "--tlp-max", "green")
		var b struct {
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal([]byte(out), &b); err != nil {
			t.Fatal(err)
		}
		got := sees(t, anon, publicID)
		if len(got) != len(b.Objects) {
			t.Errorf("%d objects over TAXII, %d in the export", len(got), len(b.Objects))
		}
		for _, raw := range b.Objects {
			var o struct{ ID string }
			json.Unmarshal(raw, &o)
			if !sameJSON(got[o.ID], string(raw)) {
				t.Errorf("%s: TAXII %s\nexport %s", o.ID, got[o.ID], raw)
			}
		}
	})

	var last time.Time
	t.Run("paging across 3 pages", func(t *testing.T) {
		every := sees(t, fr, frID)
		limit := (len(every) + 2) / 3
		pages, err := fr.AllObjects(root, frID, url.Values{"limit": {strconv.Itoa(limit)}})
		if err != nil {
			t.Fatal(err)
		}
		ids := taxiitest.IDs(pages...)
		if len(pages) != 3 || len(ids) != len(every) {
			t.Fatalf("%d objects at limit %d: %d pages with %d objects, want 3 pages with all", len(every), limit, len(pages), len(ids))
		}
		last = pages[2].AddedLast
	})

	report(t, e, 3, hospitalA, "http://late.ward-rota-update.com/rota", "#tlp green\n#verify")
	t.Run("added_after returns only what is new", func(t *testing.T) {
		pages, err := fr.AllObjects(root, frID, url.Values{"added_after": {last.Format(time.RFC3339Nano)}})
		if err != nil {
			t.Fatal(err)
		}
		got := taxiitest.IDs(pages...)
		want := []string{taxii.STIXIDOf(league, "url", "http://late.ward-rota-update.com/rota"),
			taxii.STIXIDOf(league, "domain", "late.ward-rota-update.com"), taxii.ReportID(league, 3)}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("added_after %v brings %v, want only the new ticket's indicators and report %v", last, got, want)
		}
	})

	t.Run("a revoked key is refused at once", func(t *testing.T) {
		e.Run("taxii", "keys", "revoke", "hospital-b")
		var te *taxiitest.Error
		if _, err := de.Collections(root); !errors.As(err, &te) || te.Status != 401 {
			t.Errorf("hospital-b's key after revoke, the gateway running: %v, want 401", err)
		}
	})

	code, _ := gw.Stop(10 * time.Second)
	if code != 0 {
		t.Errorf("serve exited %d after SIGTERM", code)
	}
	log := gw.Log()
	for _, k := range []string{certFR, greenKey, hospB} {
		if strings.Contains(log, k) || strings.Contains(log, k[8:20]) {
			t.Errorf("the log holds a key")
		}
	}
	for _, want := range []string{"key=cert-fr", "key=hospital-b", "key=soc-green", "status=403", "status=401"} {
		if !strings.Contains(log, want) {
			t.Errorf("the request log lacks %q", want)
		}
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
