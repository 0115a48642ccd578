// Package t05_takedown runs the takedown loop end to end through the
// built binary, a real Postfix and a real Dovecot: a hospital reports a
// phishing URL, the triager answers with #verify and #takedown, the
// registrar's abuse desk found through RDAP (a server on loopback,
// answering RFC 9083 JSON, named by a bootstrap folder) receives the
// request with an XARF v4 report in its mailbox, its answer lands on the
// ticket, and when the site (served through the check proxy) goes down
// the reporter is told.
package t05_takedown

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/e2e/e2etest"
	"github.com/hospital-league/leaguemail/store"
)

func TestMain(m *testing.M) { os.Exit(e2etest.Main(m)) }

const (
	reporter = "soc@hospital-a.example"
	triager  = "alex@volunteers.example"
	desk     = "abuse@registrar-one.example"
	phishURL = "http://staff-login.payroll-update.com/verify"
)

// The registry's RDAP answer for payroll-update.com, as a gTLD registry
// gives it: the registrar's abuse contact nested under the registrar,
// the registrant redacted.
const rdapDomain = `{
  "objectClassName": "domain",
  "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_1", "redacted"],
  "handle": "3141592_DOMAIN_COM-VRSN",
  "ldhName": "PAYROLL-UPDATE.COM",
  "events": [{"eventAction": "registration", "eventDate": "2026-11-28T22:10:04Z"}],
  "entities": [
    {"objectClassName": "entity", "handle": "4242", "roles": ["registrar"],
     "publicIds": [{"type": "IANA Registrar ID", "identifier": "4242"}],
     "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Registrar One LLC"]]],
     "entities": [
       {"objectClassName": "entity", "roles": ["abuse"],
        "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", ""],
          ["tel", {"type": "voice"}, "uri", "tel:+1.5555550199"], ["email", {}, "text", "abuse@registrar-one.example"]]]}
     ]},
    {"objectClassName": "entity", "roles": ["registrant"],
     "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "REDACTED FOR PRIVACY"], ["email", {}, "text", "REDACTED FOR PRIVACY"]]]}
  ],
  "notices": [{"title": "Terms of Use", "description": ["Service subject to Terms of Use."]}]
}`

// site serves the phishing page to the proxied checks, until taken down.
type site struct {
	mu     sync.Mutex
	status int
	hits   int
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits++
	status := s.status
	s.mu.Unlock()
	if !r.URL.IsAbs() || r.URL.Host != "staff-login.payroll-update.com" {
		http.Error(w, "unknown host", http.StatusBadGateway)
		return
	}
	if status != 200 {
		http.Error(w, "gone", status)
		return
	}
	fmt.Fprint(w, `<form><input name="password"></form>`)
}

func (s *site) set(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

func TestTakedownLoop(t *testing.T) {
	e := e2etest.Start(t, reporter, desk)

	rdap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/domain/payroll-update.com" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"errorCode": 404, "title": "Not Found"}`)
			return
		}
		w.Header().Set("Content-Type", "application/rdap+json")
		fmt.Fprint(w, rdapDomain)
	}))
	defer rdap.Close()
	boot := filepath.Join(e.Dir, "rdap-bootstrap")
	os.MkdirAll(boot, 0o755)
	b, _ := json.Marshal(map[string]any{"version": "1.0", "publication": "2026-12-01T00:00:00Z",
		"services": [][][]string{{{"com"}, {rdap.URL + "/"}}}})
	os.WriteFile(filepath.Join(boot, "dns.json"), b, 0o644)
	ph := &site{status: 200}
	proxy := httptest.NewServer(ph)
	defer proxy.Close()

	tmpl, err := os.ReadFile(filepath.Join("testdata", "leaguemail.toml.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	filled := strings.NewReplacer("@@BOOTSTRAP@@", boot, "@@PROXY@@", proxy.URL).Replace(string(tmpl))
	path := filepath.Join(e.Dir, "leaguemail.toml.tmpl")
	os.WriteFile(path, []byte(filled), 0o644)
	e.WriteConfig(path)
	e.Run("contacts", "import", filepath.Join("testdata", "contacts.csv"))

	gw := e.Serve()
	report := e2etest.Compose{From: "Hospital A SOC <" + reporter + ">", To: e2etest.Address, Subject: "Phishing against our nurses",
		MessageID: "<report-1.t05@hospital-a.example>",
		Body:      "Our nurses got a mail linking to " + phishURL + "\n\nHospital A SOC\n"}
	e.Send(reporter, []string{e2etest.Address}, report.Bytes())
	e.WaitMail(reporter, "INBOX", "the acknowledgement", 30*time.Second, e2etest.SubjectHas("[League #1]", "Received"))
	notice := e.WaitMail(triager, "INBOX", "the triager's notice", 20*time.Second, e2etest.SubjectHas("[League #1]", "New report"))

	replyTo := notice.Addresses("Reply-To")
	cmd := e2etest.Compose{From: "Alex <" + triager + ">", To: replyTo[0], Subject: "Re: " + notice.Header("Subject"),
		MessageID: "<cmd-1.t05@volunteers.example>", InReplyTo: notice.Header("Message-ID"),
		Body: "#verify\n#takedown\n\nA fresh domain, take it down.\n"}
	e.Send(triager, replyTo, cmd.Bytes())

	req := e.WaitMail(desk, "INBOX", "the takedown request at the registrar's abuse desk", 40*time.Second,
		e2etest.SubjectHas("[League #1]", "Takedown request"))
	t.Run("request", func(t *testing.T) {
		if strings.Contains(req.Text, "payroll-update.com") || !strings.Contains(req.Text, "hxxp://staff-login[.]payroll-update[.]com/verify") {
			t.Errorf("the request's text is not defanged:\n%s", req.Text)
		}
		if !strings.Contains(req.Text, "Dear Registrar One LLC") {
			t.Errorf("the request does not address the registrar found in RDAP:\n%s", req.Text)
		}
		if as := req.Header("Auto-Submitted"); as != "" {
			t.Errorf("Auto-Submitted: %s on a request a desk must answer", as)
		}
		var xarfs int
		for _, a := range req.Attachments {
			if !strings.HasPrefix(a.FileName, "xarf-") {
				continue
			}
			xarfs++
			var x map[string]any
			if err := json.Unmarshal(a.Content, &x); err != nil {
				t.Fatalf("%s: %v", a.FileName, err)
			}
			if x["category"] != "content" || x["type"] != "phishing" || x["xarf_version"] != "4.0.0" {
				t.Errorf("%s: %v", a.FileName, x)
			}
			if u, _ := x["url"].(string); !strings.Contains(u, "payroll-update.com") {
				t.Errorf("%s: url %q is not live", a.FileName, u)
			}
		}
		if xarfs != 2 {
			t.Errorf("%d XARF reports attached, want 2 (the URL and its host)", xarfs)
		}
	})
	confirm := e.WaitMail(triager, "INBOX", "the takedown confirmation", 20*time.Second, e2etest.SubjectHas("[League #1]", "Takedown:"))
	// Every indicator of a mail's text is defanged (how addresses are is
	// notify's business).
	// Text is wrapped at 72 columns: read it as words.
	words := strings.Join(strings.Fields(confirm.Text), " ")
	if !strings.Contains(words, "Registrar One LLC <abuse") || !strings.Contains(words, "(registrar of payroll-update[.]com, from RDAP)") {
		t.Errorf("the confirmation does not say who was asked:\n%s", confirm.Text)
	}

	// The desk answers to the request's Reply-To: an answer on the ticket.
	deskTo := req.Addresses("Reply-To")
	answer := e2etest.Compose{From: "Registrar One Abuse <" + desk + ">", To: deskTo[0], Subject: "Re: " + req.Header("Subject"),
		MessageID: "<abuse-1.t05@registrar-one.example>", InReplyTo: req.Header("Message-ID"),
		Body: "Ticket ABU-7781: the domain is suspended.\n"}
	e.Send(desk, deskTo, answer.Bytes())
	e.WaitMail(triager, "INBOX", "the triagers' update with the desk's answer", 30*time.Second,
		e2etest.SubjectHas("[League #1]", "Answer to the takedown request"))

	// The site goes down: the reporter is told.
	ph.set(404)
	news := e.WaitMail(reporter, "INBOX", "the reporter's news that the site is down", 40*time.Second,
		e2etest.SubjectHas("[League #1]", "Taken down"))
	if !strings.Contains(news.Text, "The site is down") || strings.Contains(news.Text, "payroll-update.com") {
		t.Errorf("the reporter's news:\n%s", news.Text)
	}
	e.WaitMail(triager, "INBOX", "the triagers' news that the site is down", 20*time.Second,
		e2etest.SubjectHas("[League #1]", "the site is down"))

	ms := gw.Metrics()
	if n, ok := e2etest.Value(ms, "leaguemail_takedown_requests_total", "source", "registrar"); !ok || n != 2 {
		t.Errorf("leaguemail_takedown_requests_total{source=registrar} = %v (%v), want 2", n, ok)
	}
	if n, ok := e2etest.Value(ms, "leaguemail_takedown_checks_total", "verdict", "down"); !ok || n < 1 {
		t.Errorf("leaguemail_takedown_checks_total{verdict=down} = %v (%v)", n, ok)
	}
	if n, ok := e2etest.Value(ms, "leaguemail_takedown_request_to_down_seconds_count"); !ok || n != 1 {
		t.Errorf("leaguemail_takedown_request_to_down_seconds_count = %v (%v), want 1", n, ok)
	}
	if code, _ := gw.Stop(10 * time.Second); code != 0 {
		t.Errorf("serve exited with %d", code)
	}
	var open []store.TakedownRequest
	if err := json.Unmarshal([]byte(e.Run("takedowns", "list", "--json")), &open); err != nil || len(open) != 0 {
		t.Errorf("open takedowns after the site went down: %v %v", open, err)
	}
	var shown struct {
		Takedowns []store.TakedownRequest `json:"takedowns"`
		Checks    []store.Check           `json:"checks"`
	}
	if err := json.Unmarshal([]byte(e.Run("tickets", "show", "1", "--json")), &shown); err != nil {
		t.Fatal(err)
	}
	if len(shown.Takedowns) != 2 || shown.Takedowns[0].State != "down" || len(shown.Checks) < 2 {
		t.Errorf("tickets show: %+v", shown)
	}
}
