package notify

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/internal/dovecottest"
	"github.com/hospital-league/leaguemail/internal/postfixtest"
	"github.com/hospital-league/leaguemail/store"
)

// The mailboxes the end-to-end tests read, besides dovecottest's own.
var e2eUsers = []string{
	"soc@hospital-a.example", "it@hospital-b.example", "gone-soon@hospital-b.example", "cert@cert-xx.example",
	"ooo@hospital-b.example", "news@lists.hospital-c.example", "mailer-daemon@hospital-d.example",
	"flood@hospital-e.example", "victim@example.com",
}

func init() {
	// Read by dovecottest.Start: every user gets a mailbox, so that a mail
	// that should not have been sent would be seen.
	dovecottest.Users = append(dovecottest.Users, e2eUsers...)
}

// mailServers is a Dovecot, and a Postfix that delivers into it.
type mailServers struct {
	dc *dovecottest.Server
	pf *postfixtest.Server
}

func startMailServers(tb testing.TB) *mailServers {
	tb.Helper()
	dc := dovecottest.Start(tb)
	// gone-soon has a mailbox but Postfix does not know it: a 550 at RCPT.
	var known []string
	for _, u := range dovecottest.Users {
		if !strings.HasPrefix(u, "gone-soon@") {
			known = append(known, u)
		}
	}
	return &mailServers{dc: dc, pf: postfixtest.Start(tb, dc.LMTPAddr, known...)}
}

// sender submits to Postfix over STARTTLS, verified with its certificate.
func (ms *mailServers) sender(e *env, adjust ...func(*Config)) *Sender {
	return e.sender("smtp://"+ms.pf.Addr, append([]func(*Config){func(c *Config) { c.CAFile = ms.pf.CAFile }}, adjust...)...)
}

// inbox returns the mails in a user's INBOX, parsed.
func (ms *mailServers) inbox(t *testing.T, user string) []*enmime.Envelope {
	t.Helper()
	ms.pf.WaitDelivered(20 * time.Second)
	var out []*enmime.Envelope
	for _, m := range ms.dc.Messages(t, user, "INBOX") {
		env, err := enmime.ReadEnvelope(bytes.NewReader(m.Raw))
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		out = append(out, env)
	}
	return out
}

func sendAll(t *testing.T, e *env, s *Sender) int {
	t.Helper()
	sent, err := s.SendDue(e.ctx)
	if err != nil {
		t.Fatalf("SendDue: %v", err)
	}
	return sent
}

func TestThroughPostfix(t *testing.T) {
	ms := startMailServers(t)

	t.Run("AckLands", func(t *testing.T) {
		e := newEnv(t)
		e.report("soc@hospital-a.example", "Phishing: fake VPN login", phish)
		ack := e.outbox(store.OutboxQueued)[0]
		if n := sendAll(t, e, ms.sender(e)); n != 2 {
			t.Fatalf("sent %d, want the ack and the triager notice", n)
		}
		got := ms.inbox(t, "soc@hospital-a.example")
		if len(got) != 1 {
			t.Fatalf("reporter's INBOX has %d mails", len(got))
		}
		m := got[0]
		for h, want := range map[string]string{
			"From": `"Hospital League" <report@league.example>`, "To": "soc@hospital-a.example",
			"Subject": "[League #1] Received: Phishing: fake VPN login", "Message-Id": ack.MessageID,
			"In-Reply-To": ack.InReplyTo, "Reply-To": ack.ReplyTo, "Auto-Submitted": "auto-replied",
		} {
			if got := m.GetHeader(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		if miss := contains(m.Text, "[League #1]", "hxxp://vpn-login[.]evil-example[.]com/auth", "185.117.73[.]7", "just reply"); miss != "" {
			t.Errorf("text lacks %q:\n%s", miss, m.Text)
		}
		if strings.Contains(m.Text, "http://") || strings.Contains(m.HTML, "http://vpn") || m.HTML == "" {
			t.Errorf("an indicator is live, or no HTML part")
		}
		if rcvd := strings.Join(m.GetHeaderValues("Received"), "\n"); !strings.Contains(rcvd, "with ESMTPS") {
			t.Errorf("not submitted over TLS: Received %q", rcvd)
		}
		if n := len(ms.inbox(t, "alex@volunteers.example")); n < 1 {
			t.Errorf("the triager got no notice")
		}
	})

	t.Run("EscalationAttachments", func(t *testing.T) {
		e := newEnv(t)
		e.report("soc@hospital-a.example", "Phishing", phish)
		sendAll(t, e, ms.sender(e))
		esc := e.enqueue(1, store.KindEscalation, []string{"cert@cert-xx.example"}, `{"text":"Campaign against hospitals.","recipient_name":"CERT-XX"}`)
		if n := sendAll(t, e, ms.sender(e)); n != 1 {
			t.Fatalf("sent %d", n)
		}
		got := ms.inbox(t, "cert@cert-xx.example")
		if len(got) != 1 || got[0].GetHeader("Message-Id") != esc.MessageID {
			t.Fatalf("CERT's INBOX: %d mails", len(got))
		}
		files := map[string][]byte{}
		for _, a := range got[0].Attachments {
			files[a.FileName] = a.Content
		}
		recs, err := csv.NewReader(bytes.NewReader(files["league-1-indicators.csv"])).ReadAll()
		if err != nil || len(recs) < 2 {
			t.Fatalf("indicators.csv: %v %q", err, files["league-1-indicators.csv"])
		}
		var bundle struct {
			Type    string `json:"type"`
			Objects []struct {
				Type    string `json:"type"`
				Pattern string `json:"pattern"`
			} `json:"objects"`
		}
		if err := json.Unmarshal(files["league-1-indicators.stix.json"], &bundle); err != nil || bundle.Type != "bundle" {
			t.Fatalf("indicators.stix.json: %v", err)
		}
		n := 0
		for _, o := range bundle.Objects {
			if o.Type == "indicator" && o.Pattern != "" {
				n++
			}
		}
		if n != len(recs)-1 {
			t.Errorf("%d STIX indicators, %d CSV rows", n, len(recs)-1)
		}
		if !strings.Contains(got[0].Text, "hxxp://vpn-login[.]evil-example[.]com/auth") || strings.Contains(got[0].Text, "http://vpn") {
			t.Errorf("escalation text:\n%s", got[0].Text)
		}
	})

	t.Run("TemporaryThenDelivered", func(t *testing.T) {
		e := newEnv(t)
		ms.pf.SetAccess(map[string]string{"it@hospital-b.example": "451 4.7.1 Greylisted, try again later"})
		e.report("it@hospital-b.example", "Suspicious invoice", phish)
		s := ms.sender(e)
		sendAll(t, e, s) // the notice goes, the ack waits
		q := e.outbox(store.OutboxQueued)
		if len(q) != 1 || q[0].Kind != store.KindAck || q[0].Attempts != 1 || !strings.Contains(q[0].LastError, "451") {
			t.Fatalf("queued after 451: %+v", q)
		}
		ms.pf.SetAccess(nil)
		e.now = e.now.Add(2 * time.Minute)
		if n := sendAll(t, e, s); n != 1 {
			t.Fatalf("retry sent %d", n)
		}
		if got := ms.inbox(t, "it@hospital-b.example"); len(got) != 1 {
			t.Errorf("reporter got %d mails", len(got))
		}
	})

	t.Run("PermanentOnTicket", func(t *testing.T) {
		e := newEnv(t)
		e.report("gone-soon@hospital-b.example", "Phishing", phish)
		sendAll(t, e, ms.sender(e))
		failed := e.outbox(store.OutboxFailed)
		if len(failed) != 1 || failed[0].DSNStatus != "5.1.1" || !strings.Contains(failed[0].LastError, "550") {
			t.Fatalf("failed: %+v", failed)
		}
		d, err := e.st.TicketDetail(e.ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ev := range d.Events {
			found = found || ev.Kind == "delivery-failed" && strings.Contains(ev.Detail, "gone-soon@hospital-b.example")
		}
		if !found {
			t.Errorf("no delivery-failed event on the ticket: %+v", d.Events)
		}
	})

	t.Run("NoAnswerToAutomaticMail", func(t *testing.T) {
		e := newEnv(t)
		e.report("ooo@hospital-b.example", "Out of office: Re: phishing", "I am away until Monday.", "Auto-Submitted: auto-replied")
		e.report("news@lists.hospital-c.example", "[sec-news] phishing wave", phish, "List-Id: <sec-news.lists.hospital-c.example>", "Precedence: list")
		e.report("MAILER-DAEMON@hospital-d.example", "Returned mail: see transcript", phish)
		sendAll(t, e, ms.sender(e))
		for _, u := range []string{"ooo@hospital-b.example", "news@lists.hospital-c.example", "mailer-daemon@hospital-d.example"} {
			if got := ms.inbox(t, u); len(got) != 0 {
				t.Errorf("%s got %d mails: %q", u, len(got), got[0].GetHeader("Subject"))
			}
		}
		for _, m := range e.outbox("") {
			if m.Kind == store.KindAck && m.State != store.OutboxSuppressed {
				t.Errorf("ack to %v in state %s", m.Recipients, m.State)
			}
		}
	})

	t.Run("SixthReportInAnHour", func(t *testing.T) {
		e := newEnv(t)
		s := ms.sender(e)
		for i := 1; i <= 6; i++ {
			e.report("flood@hospital-e.example", fmt.Sprintf("Report %d", i), phish)
			sendAll(t, e, s)
			e.now = e.now.Add(5 * time.Minute)
		}
		got := ms.inbox(t, "flood@hospital-e.example")
		if len(got) != 5 {
			t.Errorf("the sender got %d acknowledgements, want 5", len(got))
		}
		var sup []store.OutboxMail
		for _, m := range e.outbox(store.OutboxSuppressed) {
			if m.Kind == store.KindAck {
				sup = append(sup, m)
			}
		}
		if len(sup) != 1 || sup[0].Ticket != 6 || !strings.Contains(sup[0].LastError, "rate limit") {
			t.Errorf("suppressed acks: %+v", sup)
		}
	})

	t.Run("SubjectInjection", func(t *testing.T) {
		e := newEnv(t)
		e.report("soc@hospital-a.example", "=?utf-8?q?Phish=0D=0ABcc:_victim@example.com?=", phish)
		// And one queued with the line break itself, as no queuer should.
		e.enqueue(1, store.KindReply, []string{"soc@hospital-a.example"}, `{"text":"We blocked it."}`, func(m *store.OutboxMail) {
			m.Subject = "[League #1] Phish\r\nBcc: victim@example.com"
		})
		before := len(ms.inbox(t, "soc@hospital-a.example"))
		sendAll(t, e, ms.sender(e))
		got := ms.inbox(t, "soc@hospital-a.example")
		if len(got) != before+2 {
			t.Fatalf("reporter got %d new mails, want 2", len(got)-before)
		}
		for _, g := range got[before:] {
			if g.GetHeader("Bcc") != "" || !strings.Contains(g.GetHeader("Subject"), "Bcc: victim@example[.]com") {
				t.Errorf("Bcc %q, Subject %q", g.GetHeader("Bcc"), g.GetHeader("Subject"))
			}
		}
		if n := len(ms.inbox(t, "victim@example.com")); n != 0 {
			t.Errorf("the victim got %d mails", n)
		}
	})
}

// BenchmarkThroughPostfix measures mails per second submitted to Postfix
// (render, DKIM-less, one connection per batch of 50) and delivered into
// Dovecot. Run it with a fixed count:
//
//	go test -run '^$' -bench ThroughPostfix -benchtime 500x ./notify
func BenchmarkThroughPostfix(b *testing.B) {
	ms := startMailServers(b)
	e := &env{ctx: b.Context(), now: t0}
	st, err := store.Open(e.ctx, b.TempDir()+"/bench.db")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e.st = st
	var n int64
	err = st.Update(e.ctx, func(tx *store.Tx) error {
		for i := 0; i < b.N; i++ {
			m := &store.OutboxMail{Kind: store.KindTriagerNotice, Recipients: []string{"alex@volunteers.example"},
				From: league, MessageID: fmt.Sprintf("<bench%d@league.example>", i), Subject: fmt.Sprintf("[League #%d] New report", i),
				Template: store.KindTriagerNotice, CreatedAt: t0,
				Data: []byte(`{"ticket":1,"tag":"[League #1]","subject":"Phishing","reporter":"soc@hospital-a.example","indicators":[{"type":"url","value":"http://evil.example/x"}],"indicator_count":1}`)}
			if _, err := tx.Enqueue(e.ctx, m); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(st, Config{URL: "smtp://" + ms.pf.Addr, CAFile: ms.pf.CAFile, From: league, Logger: quiet(),
		Now: func() time.Time { return t0 }})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	total := 0
	for total < b.N {
		sent, err := s.SendDue(e.ctx)
		if err != nil || sent == 0 {
			b.Fatalf("SendDue: %d, %v", sent, err)
		}
		total += sent
	}
	submitted := time.Since(start)
	ms.pf.WaitDelivered(5 * time.Minute)
	delivered := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(total)/submitted.Seconds(), "submitted/s")
	b.ReportMetric(float64(total)/delivered.Seconds(), "delivered/s")
}
