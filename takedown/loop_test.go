package takedown

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/notify"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/templates"
)

// TestLoop runs the whole loop: a triager verifies and asks for the
// takedown; the registrar's and the hoster's abuse desks get one mail
// each, with XARF attached; the site is checked through the proxy until
// it is gone; the triagers and the reporter are told; it comes back up
// and the triagers are told again.
func TestLoop(t *testing.T) {
	f := newFixture(t, nil)
	f.report()
	f.triager("#verify", "#takedown")

	// The command only records a job: nothing is looked up in the
	// mail's transaction.
	if got := f.outbox(store.KindTakedown); len(got) != 0 {
		t.Fatalf("takedown mails queued before the timer ran: %d", len(got))
	}
	conf := f.to(store.KindCommandConfirm, alex)
	if len(conf) != 1 || !strings.Contains(data(t, conf[0]).Result, "takedown of 2 indicators queued") {
		t.Fatalf("the command's confirmation: %+v", conf)
	}

	f.tick()
	reg := f.to(store.KindTakedown, registrarAbuse)
	host := f.to(store.KindTakedown, hosterAbuse)
	if len(reg) != 1 || len(host) != 1 {
		t.Fatalf("want one request to the registrar and one to the hoster, got %d and %d (outbox %+v)", len(reg), len(host), f.outbox(""))
	}
	if d := data(t, reg[0]); d.RecipientName != "Example Registrar, Inc." || len(d.Indicators) != 2 {
		t.Errorf("registrar's request: %+v", d)
	}
	if d := data(t, host[0]); d.RecipientName != "Abuse Desk Example Hosting" || !strings.Contains(d.Text, defangVia(phishIP)) {
		t.Errorf("hoster's request: %+v", d)
	}
	// 10.0.0.7, the other address of the host, has no hoster to write to.
	if got := f.rdap.served("/ip/10.0.0.7"); got != 0 {
		t.Errorf("a private address was looked up in RDAP")
	}
	checkRendered(t, reg[0])

	// One confirmation says who was mailed for what.
	conf = f.to(store.KindCommandConfirm, alex)
	if len(conf) != 2 {
		t.Fatalf("want the timer's confirmation, got %d confirmations", len(conf))
	}
	res := data(t, conf[1]).Result
	for _, want := range []string{"Example Registrar, Inc. <abuse@registrar.example> (registrar of evil.example, from RDAP)",
		"Abuse Desk Example Hosting <abuse@hoster.example> (hoster of 192.0.2.10, from RDAP)", "hxxp://vpn-renew[.]evil[.]example/login"} {
		if !strings.Contains(res, want) {
			t.Errorf("confirmation lacks %q:\n%s", want, res)
		}
	}
	reqs, err := f.st.TakedownRequests(f.ctx, 1, false)
	if err != nil || len(reqs) != 4 {
		t.Fatalf("requests: %+v %v", reqs, err)
	}

	// The site is up: checked through the proxy when requested, then
	// again, an event each time.
	if evs := f.events("takedown-check"); len(evs) != 1 || !strings.Contains(evs[0].Detail, "HTTP 200, up") {
		t.Fatalf("check events: %+v", evs)
	}
	if len(f.site.hosts) == 0 || f.site.hosts[0] != "vpn-renew.evil.example" {
		t.Fatalf("the check did not go through the proxy: %v", f.site.hosts)
	}
	// Nothing changed: the next check waits twice as long (2 hours).
	f.advance(time.Hour)
	f.tick()
	if evs := f.events("takedown-check"); len(evs) != 1 {
		t.Fatalf("checked again before the backed-off interval: %d checks", len(evs))
	}
	f.advance(time.Hour)
	f.tick()
	if evs := f.events("takedown-check"); len(evs) != 2 {
		t.Fatalf("not checked again after 2 hours: %d checks", len(evs))
	}

	// Taken down.
	f.site.set(404, "")
	f.advance(4 * time.Hour)
	f.tick()
	down := f.events("takedown-down")
	if len(down) != 1 || !strings.Contains(down[0].Detail, "The site is down, 6 hours after the report") {
		t.Fatalf("down events: %+v", down)
	}
	news := f.to(store.KindTakedownNews, alice)
	if len(news) != 1 || !strings.Contains(data(t, news[0]).Result, "hxxp://vpn-renew[.]evil[.]example/login") {
		t.Fatalf("the reporter was not told: %+v", news)
	}
	if got := f.to(store.KindTriagerUpdate, alex); len(got) == 0 || !strings.Contains(got[len(got)-1].Subject, "the site is down") {
		t.Fatalf("the triager was not told: %+v", got)
	}
	if reqs, _ := f.st.TakedownRequests(f.ctx, 1, true); len(reqs) != 0 {
		t.Errorf("requests still open once down: %+v", reqs)
	}

	// Back up: reopened, and the triager told.
	f.site.set(200, "")
	f.advance(time.Hour)
	f.tick()
	if evs := f.events("takedown-back-up"); len(evs) != 1 {
		t.Fatalf("back-up events: %+v", f.events("takedown-check"))
	}
	if reqs, _ := f.st.TakedownRequests(f.ctx, 1, true); len(reqs) != 2 || reqs[0].State != "up" || reqs[0].Type != "url" {
		t.Errorf("the URL's requests are not reopened: %+v", reqs)
	}
	if got := f.to(store.KindTriagerUpdate, alex); !strings.Contains(got[len(got)-1].Subject, "back up") {
		t.Errorf("the triager was not told it is back: %s", got[len(got)-1].Subject)
	}
}

// checkRendered renders a takedown request as notify sends it: the text
// defanged, XARF v4 attached with the live values.
func checkRendered(t *testing.T, m store.OutboxMail) {
	t.Helper()
	d := data(t, m)
	v := notify.View{Kind: m.Kind, League: league, LeagueName: "The League", Now: time.Now(), Ticket: m.Ticket, Tag: d.Tag,
		Subject: d.Subject, RecipientName: d.RecipientName, Text: d.Text, ReplyTo: m.ReplyTo}
	raw, err := notify.Render(templates.Default(), m, v)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if as := msg.Header.Get("Auto-Submitted"); as != "" {
		t.Errorf("a takedown request is a person's mail to an abuse desk, yet Auto-Submitted: %s", as)
	}
	if !strings.HasPrefix(msg.Header.Get("Reply-To"), "report+t1-") {
		t.Errorf("Reply-To %q does not thread the desk's answer back", msg.Header.Get("Reply-To"))
	}
	if !strings.Contains(msg.Header.Get("Subject"), "[League #1]") {
		t.Errorf("Subject %q lacks the tag", msg.Header.Get("Subject"))
	}
	_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var text string
	var xarfs []map[string]any
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			b, _ = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", ""))
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			text = string(b)
			continue
		}
		if p.FileName() != "" && strings.HasPrefix(p.FileName(), "xarf-") {
			var x map[string]any
			if err := json.Unmarshal(b, &x); err != nil {
				t.Fatalf("%s: %v", p.FileName(), err)
			}
			xarfs = append(xarfs, x)
		}
	}
	if strings.Contains(text, "http://vpn-renew") || strings.Contains(text, "evil.example") {
		t.Errorf("a live indicator in the text:\n%s", text)
	}
	if !strings.Contains(text, "hxxp://vpn-renew[.]evil[.]example/login") {
		t.Errorf("the text lacks the defanged URL:\n%s", text)
	}
	if len(xarfs) != 2 {
		t.Fatalf("want 2 XARF reports, got %d", len(xarfs))
	}
	var urls []string
	for _, x := range xarfs {
		if x["xarf_version"] != "4.0.0" || x["category"] != "content" || x["type"] != "phishing" || x["source_identifier"] != "vpn-renew.evil.example" && x["source_identifier"] != "evil.example" {
			t.Errorf("XARF: %v", x)
		}
		rep, _ := x["reporter"].(map[string]any)
		if rep["contact"] != league || rep["domain"] != "league.example" {
			t.Errorf("XARF reporter: %v", rep)
		}
		if ev, _ := x["evidence"].([]any); len(ev) != 1 {
			t.Errorf("XARF evidence: %v", x["evidence"])
		}
		urls = append(urls, x["url"].(string))
	}
	if !strings.Contains(strings.Join(urls, " "), phish) {
		t.Errorf("XARF urls %v lack the live %s", urls, phish)
	}
}
