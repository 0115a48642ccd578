package notify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// TestNoForeignToken (issue 12, point 4): every template, rendered with a
// triager's reply address in every text it shows, sends no reply token
// but the recipient's own. A token is a bearer secret: a reporter who got
// a triager's could speak as that triager.
func TestNoForeignToken(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Phishing", phish)
	triagerToken := e.g.Tokens().Issue(1, "alex@volunteers.example")
	leaked := replytoken.Address(league, triagerToken)
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	// Templates that are not kinds of their own render mails of a kind.
	kindOf := map[string]string{TemplateAckEncrypted: store.KindAck, TemplateWithheld: store.KindEscalation}
	for _, kind := range s.templates().Kinds() {
		tmpl := kind
		if k, ok := kindOf[kind]; ok {
			kind = k
		}
		reporter := "soc@hospital-a.example"
		own := replytoken.Address(league, e.g.Tokens().Issue(1, reporter))
		d := store.MailData{Ticket: 1, Tag: "[League #1]", Subject: "Re: " + leaked, ReporterName: leaked,
			Text: "On Monday, Alex <" + leaked + "> wrote:\n> x", Command: "#reply " + leaked, Result: "sent to " + leaked,
			Errors: []string{leaked}, Unauthenticated: leaked,
			Digest: []store.DigestEntry{{Ticket: 1, Subject: leaked, What: "new report"}}}
		b, _ := json.Marshal(d)
		// A language's variant (ack.fr) and a kind's (ack-update) are
		// sent as their kind.
		base, _, _ := strings.Cut(kind, ".")
		outKind := kindOfTemplate(base)
		if strings.HasPrefix(base, "ack") {
			outKind = store.KindAck
		}
		m := e.enqueue(1, outKind, []string{reporter}, string(b), func(m *store.OutboxMail) {
			m.Subject = "[League #1] " + leaked
			m.ReplyTo = own
			m.Template = tmpl
		})
		raw, err := s.build(e.ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		all := env.GetHeader("Subject") + env.Text + env.HTML
		for _, a := range env.Attachments {
			all += string(a.Content)
		}
		if strings.Contains(strings.ToLower(all), triagerToken) {
			t.Errorf("%s: the triager's token reaches the reporter:\n%s", kind, all)
		}
		if env.GetHeader("Reply-To") != own {
			t.Errorf("%s: Reply-To %q, want the reporter's own %q", kind, env.GetHeader("Reply-To"), own)
		}
	}
}

// TestSubjectDefanged (issue 12, point 6): a reporter's subject that holds
// a live URL leaves defanged in every mail, in the header and the text.
func TestSubjectDefanged(t *testing.T) {
	e := newEnv(t)
	e.report("soc@hospital-a.example", "Fwd: verify your account at https://evil-bank.com/login", phish)
	for _, m := range e.outbox(store.OutboxQueued) {
		e.st.MarkSent(e.ctx, m.ID, e.now)
	}
	e.enqueue(1, store.KindEscalation, []string{"cert@cert-xx.example"}, `{"recipient_name":"CERT-XX","subject":"Fwd: verify your account at https://evil-bank.com/login"}`,
		func(m *store.OutboxMail) {
			m.Subject = "[League #1] Escalation: Fwd: verify your account at https://evil-bank.com/login"
		})
	e.report("it@hospital-b.example", "HTTPS://EVIL-BANK.COM/Login again", "more")
	s := e.sender("smtp://127.0.0.1:25?tls=none")
	envs := renderAll(t, e, s)
	if len(envs) != 3 {
		t.Fatalf("rendered %d kinds", len(envs))
	}
	for kind, env := range envs {
		all := env.GetHeader("Subject") + "\n" + env.Text + "\n" + env.HTML
		if low := strings.ToLower(all); strings.Contains(low, "https://evil-bank") || strings.Contains(low, "evil-bank.com") {
			t.Errorf("%s: a live indicator leaves:\n%s", kind, all)
		}
		if !strings.Contains(strings.ToLower(env.GetHeader("Subject")), "evil-bank[.]com") {
			t.Errorf("%s: Subject %q", kind, env.GetHeader("Subject"))
		}
	}
}

// TestBudgetHoldsAcks (issue 12, point 3): over the budget of automatic
// mail an hour, acknowledgements wait in the outbox, never dropped, and
// leave when the hour allows. (Triage collapses the triagers' notices into
// digests meanwhile; those that were queued leave.)
func TestBudgetHoldsAcks(t *testing.T) {
	e := newEnv(t)
	f := startFake(t)
	for _, from := range []string{"a@h1.example", "b@h2.example", "c@h3.example", "d@h4.example"} {
		e.report(from, "Phishing", phish)
	}
	s := e.sender(f.url(), func(c *Config) { c.AutoMailsPerHour = 5 })
	if _, err := s.SendDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	var acksHeld int
	for _, m := range e.outbox(store.OutboxQueued) {
		if m.Kind == store.KindAck && m.Attempts == 0 && strings.Contains(m.LastError, "budget") && m.NextAttemptAt.After(e.now) {
			acksHeld++
		}
	}
	// In order: ack, notice, ack, notice, ack (the budget is spent), the
	// third notice, the fourth ack held, the fourth notice.
	if got := len(f.received()); got != 7 || acksHeld != 1 {
		t.Fatalf("%d sent, %d acks held; want 7 and 1", got, acksHeld)
	}
	if _, err := s.SendDue(e.ctx); err != nil || len(f.received()) != 7 {
		t.Fatalf("the held ack left within the hour: %v", err)
	}
	// An hour later the rest leave.
	e.now = e.now.Add(61 * 60 * 1e9)
	if _, err := s.SendDue(e.ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(f.received()); got != 8 || len(e.outbox(store.OutboxQueued)) != 0 {
		t.Errorf("%d sent in all, %d still queued; want 8 and 0", got, len(e.outbox(store.OutboxQueued)))
	}
}
