package notify

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/store"
)

// kindOfTemplate is the outbox kind a template is sent as: its own name,
// or for the templates of issue 15 that share a kind, that kind.
func kindOfTemplate(name string) string {
	switch {
	case slices.Contains(store.Kinds, name):
		return name
	case name == "membership-notice":
		return store.KindTriagerNotice
	}
	return store.KindMembership
}

// The outcome a reporter reads: the verdict in words, what to do, what
// the league did, the indicators and the triager's words defanged.
func TestRenderOutcome(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	d := store.MailData{Ticket: 1, Tag: "[League #1]", Subject: "Phishing https://vpn-login.evil-example.com/x", ReporterName: "Alice",
		Verdict: "malicious", Text: "Blocked; the page https://vpn-login.evil-example.com/auth is down.",
		Actions:    []store.MailAction{{What: "escalated to CERT-XX", At: time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)}},
		Indicators: []store.MailIndicator{{Type: "url", Value: "http://vpn-login.evil-example.com/auth", Verified: true}}, IndicatorCount: 1}
	b, _ := json.Marshal(d)
	for _, tmpl := range []string{"outcome"} {
		m := e.enqueue(1, store.KindOutcome, []string{"soc@hospital-a.example"}, string(b), func(m *store.OutboxMail) { m.Template = tmpl })
		env := buildEnvelope(t, e, s, m)
		all := env.GetHeader("Subject") + env.Text + env.HTML
		if strings.Contains(all, "http://vpn-login") || strings.Contains(all, "https://vpn-login") || strings.Contains(all, "evil-example.com") {
			t.Errorf("%s: a live indicator:\n%s", tmpl, all)
		}
		want := []string{"hxxp://vpn-login[.]evil-example[.]com/auth", "escalated to CERT-XX on 2026-11-23"}
		want = append(want, "It was an attack", "reset that password", "Blocked; the page")
		if miss := contains(env.Text, want...); miss != "" {
			t.Errorf("%s: text lacks %q:\n%s", tmpl, miss, env.Text)
		}
		if env.HTML == "" || !strings.Contains(env.HTML, "hxxp://vpn-login[.]evil-example[.]com/auth") {
			t.Errorf("%s: html %q", tmpl, env.HTML)
		}
		if env.GetHeader("Auto-Submitted") != "auto-replied" || env.GetHeader("List-Unsubscribe") != "" {
			t.Errorf("%s: headers %v", tmpl, env.Root.Header)
		}
	}
	for _, v := range store.Verdicts {
		d := store.MailData{Ticket: 1, Tag: "[League #1]", Subject: "s", Verdict: v}
		b, _ := json.Marshal(d)
		m := e.enqueue(1, store.KindOutcome, []string{"soc@hospital-a.example"}, string(b))
		if env := buildEnvelope(t, e, s, m); strings.Contains(env.Text, "{{") || len(env.Text) < 200 {
			t.Errorf("%s: %q", v, env.Text)
		}
	}
}

// An area alert is a list mail its recipient leaves in one click (RFC
// 2369, RFC 8058), signed over those headers.
func TestAlertListHeaders(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	mailto := "report+unsubscribe-u4-abcdefghijklmnopqrstuvwxyz@league.example"
	url := "https://league.example/unsubscribe/u4-abcdefghijklmnopqrstuvwxyz"
	for _, tt := range []struct {
		list               *store.MailList
		unsub, post, inTxt string
	}{
		{&store.MailList{ID: "alerts.league.example", Mailto: mailto, URL: url, Subscribe: "report+subscribe@league.example"},
			"<" + url + ">, <mailto:" + mailto + "?subject=unsubscribe>", "List-Unsubscribe=One-Click", url},
		{&store.MailList{ID: "alerts.league.example", Mailto: mailto}, "<mailto:" + mailto + "?subject=unsubscribe>", "", mailto},
		// What never reaches a header: a URL that is not https, a CR LF.
		{&store.MailList{ID: "alerts.league.example", Mailto: mailto, URL: "http://league.example/u\r\nBcc: x@y.example"},
			"<mailto:" + mailto + "?subject=unsubscribe>", "", mailto},
	} {
		d := store.MailData{Ticket: 1, Tag: "[League #1]", RecipientName: "General Clinic", Area: "North", List: tt.list,
			Indicators: []store.MailIndicator{{Type: "domain", Value: "evil-example.com", Verified: true}}}
		b, _ := json.Marshal(d)
		m := e.enqueue(1, store.KindAlert, []string{"it@clinic.example"}, string(b))
		env := buildEnvelope(t, e, s, m)
		if got := env.GetHeader("List-Id"); got != "<alerts.league.example>" {
			t.Errorf("List-Id %q", got)
		}
		if got := env.GetHeader("List-Unsubscribe"); got != tt.unsub {
			t.Errorf("List-Unsubscribe %q, want %q", got, tt.unsub)
		}
		if got := env.GetHeader("List-Unsubscribe-Post"); got != tt.post {
			t.Errorf("List-Unsubscribe-Post %q, want %q", got, tt.post)
		}
		if env.GetHeader("Bcc") != "" || !strings.Contains(env.Text, tt.inTxt) {
			t.Errorf("text lacks %q or Bcc %q:\n%s", tt.inTxt, env.GetHeader("Bcc"), env.Text)
		}
	}
	if !slices.Contains(signedHeaders, "List-Unsubscribe") || !slices.Contains(signedHeaders, "List-Unsubscribe-Post") {
		t.Error("the DKIM signature does not cover List-Unsubscribe (RFC 8058 section 4)")
	}
}

// buildEnvelope renders outbox mail m as the sender would and parses it.
func buildEnvelope(t *testing.T, e *env, s *Sender, m store.OutboxMail) *enmime.Envelope {
	t.Helper()
	raw, err := s.build(e.ctx, m)
	if err != nil {
		t.Fatalf("%s/%s: %v", m.Kind, m.Template, err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// The impersonation alert shows both domains defanged.
func TestRenderImpersonation(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	d := store.MailData{Ticket: 1, Tag: "[League #1]", TLP: "amber", RecipientName: "St Mary Hospital",
		Indicators: []store.MailIndicator{{Type: "domain", Value: "st-rnary-hospital.fr", Verified: true}},
		Lookalike: &store.MailLookalike{Domain: "st-rnary-hospital.fr", Imitates: "st-mary-hospital.fr", How: "look-alike characters",
			FirstSeen: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}}
	b, _ := json.Marshal(d)
	m := e.enqueue(1, store.KindImpersonation, []string{"soc@st-mary-hospital.fr"}, string(b))
	env := buildEnvelope(t, e, s, m)
	if miss := contains(env.Text, "st-rnary-hospital[.]fr", "your st-mary-hospital[.]fr (look-alike characters)", "2026-11-23", "Dear St Mary Hospital"); miss != "" {
		t.Errorf("text lacks %q:\n%s", miss, env.Text)
	}
	if strings.Contains(env.Text+env.HTML, "st-rnary-hospital.fr") {
		t.Errorf("a live lookalike:\n%s", env.Text)
	}
}
