package notify

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/templates"
)

// render renders every queued mail of e as the sender would, and parses
// each with enmime, keyed by kind.
func renderAll(t *testing.T, e *env, s *Sender) map[string]*enmime.Envelope {
	t.Helper()
	out := map[string]*enmime.Envelope{}
	for _, m := range e.outbox(store.OutboxQueued) {
		raw, err := s.build(e.ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", m.Kind, err)
		}
		for i, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 998 || strings.ContainsAny(line, "\r\n") {
				t.Errorf("%s: line %d: %q", m.Kind, i, line)
			}
		}
		for _, c := range raw {
			if c >= 0x80 {
				t.Fatalf("%s: 8-bit byte in the message", m.Kind)
			}
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", m.Kind, err)
		}
		for _, pe := range env.Errors {
			t.Errorf("%s: MIME error %v", m.Kind, pe)
		}
		out[m.Kind] = env
	}
	return out
}

func TestRenderAck(t *testing.T) {
	e := newEnv(t)
	// An encoded word hides a CR LF from the incoming mail's own header.
	e.report("soc@hospital-a.example", "=?utf-8?q?H=C3=B4pital_<b>phish</b>=0D=0ABcc:_victim@example.com?=", phish)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	envs := renderAll(t, e, s)
	ack := envs[store.KindAck]
	ob := e.outbox(store.OutboxQueued)[0]
	for h, want := range map[string]string{
		"From":                     `"Hospital League" <report@league.example>`,
		"To":                       "soc@hospital-a.example",
		"Message-Id":               ob.MessageID,
		"In-Reply-To":              ob.InReplyTo,
		"References":               ob.InReplyTo,
		"Reply-To":                 ob.ReplyTo,
		"Auto-Submitted":           "auto-replied",
		"X-Auto-Response-Suppress": "All",
	} {
		if got := ack.GetHeader(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if subj := ack.GetHeader("Subject"); !strings.HasPrefix(subj, "[League #1] Received: Hôpital <b>phish</b>") || !strings.HasSuffix(subj, "Bcc: victim@example[.]com") {
		t.Errorf("Subject %q", subj)
	}
	if ack.GetHeader("Bcc") != "" || !strings.HasPrefix(ob.ReplyTo, "report+t1-") {
		t.Errorf("Bcc %q, Reply-To %q", ack.GetHeader("Bcc"), ob.ReplyTo)
	}
	if miss := contains(ack.Text, "[League #1]", "hxxp://vpn-login[.]evil-example[.]com/auth", "185.117.73[.]7",
		"just reply to this mail", "No other hospital"); miss != "" {
		t.Errorf("ack text lacks %q:\n%s", miss, ack.Text)
	}
	if strings.Contains(ack.Text, "http://vpn-login") || strings.Contains(ack.HTML, "http://vpn-login") {
		t.Error("an indicator is not defanged")
	}
	if !strings.Contains(ack.HTML, "&lt;b&gt;phish&lt;/b&gt;") || strings.Contains(ack.HTML, "<b>phish") {
		t.Errorf("HTML part does not escape the subject:\n%s", ack.HTML)
	}
	notice := envs[store.KindTriagerNotice]
	if notice.GetHeader("Auto-Submitted") != "auto-generated" || notice.HTML != "" ||
		contains(notice.Text, "#verify", "#escalate", "soc@hospital-a.example", "hxxp://vpn-login[.]evil-example[.]com/auth") != "" {
		t.Errorf("notice:\n%s", notice.Text)
	}
}

// TestRenderCorrelated: the second report of the same indicators tells
// the reporter that others reported them, once a triager verified them on
// a TLP:GREEN ticket (DESIGN.md invariant 8).
func TestRenderCorrelated(t *testing.T) {
	e := newEnv(t)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	e.report("soc@hospital-a.example", "Phishing", phish)
	for _, m := range e.outbox(store.OutboxQueued) {
		e.st.MarkSent(e.ctx, m.ID, e.now)
	}
	db, err := sql.Open("sqlite3", e.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO verifications (indicator, ticket, by, at) SELECT indicator, ticket, 'test', first_seen FROM sightings;
		UPDATE tickets SET tlp = 'green'`); err != nil {
		t.Fatal(err)
	}
	e.report("it@hospital-b.example", "Same here", phish)
	envs := renderAll(t, e, s)
	if miss := contains(envs[store.KindAck].Text, "Other hospitals reported the same: 3 of these indicators were", "in one other report since 2026-11-23."); miss != "" {
		t.Errorf("ack:\n%s", envs[store.KindAck].Text)
	}
	if miss := contains(envs[store.KindTriagerNotice].Text, "Seen in 1 other ticket: #1"); miss != "" {
		t.Errorf("notice:\n%s", envs[store.KindTriagerNotice].Text)
	}
}

func TestRenderEscalation(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	for _, m := range e.outbox(store.OutboxQueued) {
		e.st.MarkSent(e.ctx, m.ID, e.now)
	}
	e.enqueue(1, store.KindEscalation, []string{"cert@cert-xx.example"}, `{"text":"Active campaign against 3 hospitals.","recipient_name":"CERT-XX"}`)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	esc := renderAll(t, e, s)[store.KindEscalation]
	if esc.GetHeader("Auto-Submitted") != "" {
		t.Errorf("escalation has Auto-Submitted %q", esc.GetHeader("Auto-Submitted"))
	}
	if miss := contains(esc.Text, "TLP:AMBER", "Dear CERT-XX", "Active campaign", "hxxp://vpn-login[.]evil-example[.]com/auth", "indicators.csv"); miss != "" {
		t.Errorf("text lacks %q:\n%s", miss, esc.Text)
	}
	if esc.HTML == "" {
		t.Error("no HTML part")
	}
	files := map[string][]byte{}
	for _, a := range esc.Attachments {
		files[a.FileName] = a.Content
	}
	recs, err := csv.NewReader(bytes.NewReader(files["league-1-indicators.csv"])).ReadAll()
	if err != nil || len(recs) < 3 || recs[0][0] != "type" {
		t.Fatalf("csv %q: %v", files["league-1-indicators.csv"], err)
	}
	var bundle struct {
		Type    string           `json:"type"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(files["league-1-indicators.stix.json"], &bundle); err != nil || bundle.Type != "bundle" {
		t.Fatalf("stix: %v", err)
	}
	var patterns []string
	for _, o := range bundle.Objects {
		if o["type"] == "indicator" {
			patterns = append(patterns, o["pattern"].(string))
		}
	}
	if miss := contains(strings.Join(patterns, "\n"), "[url:value = 'http://vpn-login.evil-example.com/auth']", "[ipv4-addr:value = '185.117.73.7']"); miss != "" {
		t.Errorf("patterns lack %q: %q", miss, patterns)
	}
}

// TestRenderOverride: a templates folder changes the text; a broken
// template fails the mail for good, recorded, instead of retrying it.
func TestRenderOverride(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	m := e.outbox(store.OutboxQueued)[0]
	v, err := e.sender("smtp://127.0.0.1:25?tls=none").buildView(e.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	m.Template = "no-such-kind"
	if _, err := Render(set, m, v); err == nil {
		t.Error("rendered a kind without template")
	}
}

// TestSubjectInjection: a subject with CR LF and a header in it, queued as
// is, gives one Subject line and no Bcc.
func TestSubjectInjection(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	m := e.enqueue(1, store.KindReply, []string{"soc@hospital-a.example"}, `{"text":"hello"}`)
	m.Subject = "[League #1] x\r\nBcc: victim@example.com"
	m.InReplyTo = "<a@b>\r\nBcc: victim@example.com"
	m.References = []string{"<ok@hospital.example>", "<x@y>\nBcc: victim@example.com"}
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	v, err := s.buildView(e.ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Render(s.tmpl, m, v)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if env.GetHeader("Bcc") != "" || env.GetHeader("Subject") != "[League #1] x Bcc: victim@example.com" ||
		env.GetHeader("In-Reply-To") != "" || env.GetHeader("References") != "<ok@hospital.example>" {
		t.Errorf("headers: Bcc %q Subject %q In-Reply-To %q References %q", env.GetHeader("Bcc"),
			env.GetHeader("Subject"), env.GetHeader("In-Reply-To"), env.GetHeader("References"))
	}
	if n := strings.Count(string(raw), "\r\nSubject:"); n != 1 {
		t.Errorf("%d Subject fields", n)
	}
}

// TestRenderTriagerWords: a triager's words leave with their indicators
// defanged, and our own address intact.
func TestRenderTriagerWords(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	for _, m := range e.outbox(store.OutboxQueued) {
		e.st.MarkSent(e.ctx, m.ID, e.now)
	}
	e.enqueue(1, store.KindReply, []string{"soc@hospital-a.example"},
		`{"text":"Block http://vpn-login.evil-example.com/auth and 91.92.240.4; write to report@league.example."}`)
	e.enqueue(1, store.KindTriagerNotice, []string{"alex@volunteers.example"},
		`{"command":"answer from CERT-XX","text":"We saw hxxp://evil[.]example too."}`,
		func(m *store.OutboxMail) { m.Template = "triager-update" })
	envs := renderAll(t, e, e.sender("smtp://127.0.0.1:25?tls=none"))
	reply := envs[store.KindReply].Text
	if miss := contains(reply, "hxxp://vpn-login[.]evil-example[.]com/auth", "91.92.240[.]4", "report@league.example"); miss != "" ||
		strings.Contains(reply, "http://vpn-login") {
		t.Errorf("reply lacks %q:\n%s", miss, reply)
	}
	if miss := contains(envs[store.KindTriagerNotice].Text, "Update on [League #1]", "answer from CERT-XX", "hxxp://evil[.]example"); miss != "" {
		t.Errorf("update lacks %q:\n%s", miss, envs[store.KindTriagerNotice].Text)
	}
}

// TestRenderAlert: an alert lists only verified indicators, and never who
// reported.
func TestRenderAlert(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	for _, m := range e.outbox(store.OutboxQueued) {
		e.st.MarkSent(e.ctx, m.ID, e.now)
	}
	db, err := sql.Open("sqlite3", e.st.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO verifications (indicator, ticket, by, at) SELECT s.indicator, s.ticket, 'test', s.first_seen FROM sightings s JOIN indicators i ON i.id = s.indicator WHERE i.type = 'ipv4'`); err != nil {
		t.Fatal(err)
	}
	e.enqueue(1, store.KindAlert, []string{"ciso@hospital-b.example"}, `{"area":"Île-de-France","recipient_name":"Hospital B"}`)
	alert := renderAll(t, e, e.sender("smtp://127.0.0.1:25?tls=none"))[store.KindAlert]
	if miss := contains(alert.Text, "Île-de-France", "185.117.73[.]7", "Dear Hospital B"); miss != "" {
		t.Errorf("alert lacks %q:\n%s", miss, alert.Text)
	}
	if strings.Contains(alert.Text, "vpn-login") || strings.Contains(alert.Text, "hospital-a") {
		t.Errorf("alert shows an unverified indicator or the reporter:\n%s", alert.Text)
	}
	for _, a := range alert.Attachments {
		if strings.Contains(string(a.Content), "vpn-login") {
			t.Errorf("%s holds an unverified indicator", a.FileName)
		}
	}
}
