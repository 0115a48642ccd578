package triage

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

// The attacks of issue 12, each on a mail shaped as the attacker would
// send it, through the real parser: a mail can only add evidence; only an
// authenticated triager turns evidence into the league's word, and the
// responder answers only senders it can trust (DESIGN.md invariant 7).

const ourMX = "mx.league.example"

func arPass(domain string) string {
	return ourMX + "; dkim=pass header.d=" + domain + "; spf=pass smtp.mailfrom=" + domain + "; dmarc=pass header.from=" + domain
}
func arNone(domain string) string {
	return ourMX + "; dkim=none; spf=none smtp.mailfrom=" + domain + "; dmarc=none header.from=" + domain
}
func arFail(domain string) string {
	return ourMX + "; dkim=fail header.d=" + domain + "; spf=fail smtp.mailfrom=" + domain + "; dmarc=fail header.from=" + domain
}

// rawMail is a mail as it reaches the gateway: our MTA's
// Authentication-Results on top.
type rawMail struct {
	from, to, subject, msgid, inReplyTo, returnPath string
	auth                                            []string
	body                                            string
}

func (m rawMail) bytes() []byte {
	var b strings.Builder
	if m.returnPath != "" {
		fmt.Fprintf(&b, "Return-Path: <%s>\r\n", m.returnPath)
	}
	for _, a := range m.auth {
		fmt.Fprintf(&b, "Authentication-Results: %s\r\n", a)
	}
	to := m.to
	if to == "" {
		to = league
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n", m.from, to, m.subject, m.msgid)
	if m.inReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\n", m.inReplyTo)
	}
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.body, "\n", "\r\n"))
	return []byte(b.String())
}

// trustHarness is a gateway with the real parser, our MTA's authserv-id,
// triagers alex (configured) and sam (a contact), a CERT, and #1, a
// report from St Mary with evil.example in it.
func trustHarness(t *testing.T, adjust ...func(*Config)) *harness {
	t.Helper()
	h := newHarness(t, append([]func(*Config){func(c *Config) {
		c.Parse = nil
		c.AuthservID = ourMX
	}}, adjust...)...)
	for _, c := range seedContacts {
		if _, err := h.st.PutContact(h.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	out := h.takeMail(rawMail{from: "Alice <soc@hospital.example>", subject: "phishing", msgid: "<r1@hospital.example>",
		auth: []string{arPass("hospital.example")}, body: "They phished us: https://evil.example/login\n"})
	if out.ticket != 1 || out.disposition != DispOpened {
		t.Fatalf("report: %+v", out)
	}
	return h
}

func (h *harness) takeMail(m rawMail) outcome {
	h.t.Helper()
	h.seq++
	h.now = h.now.Add(time.Minute)
	return h.takeRaw(m.bytes(), Origin{Mailbox: "file:trust", UID: uint32(h.seq)})
}

// triager writes commands on ticket n from alex, to alex's reply address
// of n, authenticated by our MTA when pass.
func (h *harness) triager(n int64, pass bool, body string) outcome {
	h.t.Helper()
	m := rawMail{from: "Alex <" + alex + ">", to: replytoken.Address(league, h.g.Tokens().Issue(n, alex)),
		subject: fmt.Sprintf("Re: [League #%d] phishing", n), msgid: fmt.Sprintf("<c%d@volunteers.example>", h.seq), body: body}
	if pass {
		m.auth = []string{arPass("volunteers.example")}
	} else {
		m.auth = []string{arNone("volunteers.example")}
	}
	return h.takeMail(m)
}

func (h *harness) indicators(n int64) map[string]store.TicketIndicator {
	out := map[string]store.TicketIndicator{}
	for _, x := range h.detail(n).Indicators {
		out[x.Value] = x
	}
	return out
}

func (h *harness) sentTo(kind, rcpt string) []store.OutboxMail {
	var out []store.OutboxMail
	for _, m := range h.outbox() {
		if m.Kind == kind && slices.Contains(m.Recipients, rcpt) {
			out = append(out, m)
		}
	}
	return out
}

func (h *harness) lastTo(kind, rcpt string) (store.OutboxMail, store.MailData) {
	h.t.Helper()
	ms := h.sentTo(kind, rcpt)
	if len(ms) == 0 {
		h.t.Fatalf("no %s to %s; outbox: %+v", kind, rcpt, h.outbox())
	}
	d, err := ms[len(ms)-1].MailData()
	if err != nil {
		h.t.Fatal(err)
	}
	return ms[len(ms)-1], d
}

// TestPoisonedVerification (point 1): a stranger's reply on ticket 1 adds
// Office 365's login host and a rival's portal; a bare #verify, the
// escalation, the feeds and correlation leave them out until a triager
// accepts them.
func TestPoisonedVerification(t *testing.T) {
	h := trustHarness(t)
	out := h.takeMail(rawMail{from: "Mallory <mallory@rival.example>", subject: "Re: [League #1] phishing", msgid: "<m1@rival.example>",
		auth: []string{arPass("rival.example")},
		body: "Also seen: https://login.microsoftonline.com/common and https://portal.st-anne-hospital.example/login\n"})
	if out.ticket != 1 || out.disposition != DispFlagged {
		t.Fatalf("stranger's reply: %+v", out)
	}
	inds := h.indicators(1)
	ms := inds["https://login.microsoftonline.com/common"]
	if !ms.Pending || !slices.Contains(ms.PendingFrom, "mallory@rival.example") || inds["https://evil.example/login"].Pending {
		t.Fatalf("sightings: %+v", inds)
	}
	// The triagers are told, with the stranger's evidence marked.
	if !h.hasEvent(1, "pending", "mallory@rival.example") {
		t.Errorf("no pending event: %+v", h.detail(1).Events)
	}

	h.triager(1, true, "#verify\n#escalate CERT-XX\n")
	inds = h.indicators(1)
	if !inds["https://evil.example/login"].Verified || inds["https://login.microsoftonline.com/common"].Verified ||
		inds["portal.st-anne-hospital.example"].Verified {
		t.Errorf("after a bare #verify: %+v", inds)
	}
	_, conf := h.lastTo(store.KindCommandConfirm, alex)
	if !strings.Contains(conf.Result, "pending") || !strings.Contains(conf.Result, "#accept") {
		t.Errorf("confirmation does not say what was left out: %s", conf.Result)
	}
	_, esc := h.lastTo(store.KindEscalation, cert)
	for _, x := range esc.Indicators {
		if strings.Contains(x.Value, "microsoftonline") || strings.Contains(x.Value, "st-anne") {
			t.Errorf("the escalation carries pending evidence: %+v", esc.Indicators)
		}
	}
	// Another hospital reporting Office 365's host correlates with nothing.
	h.takeMail(rawMail{from: "it@clinic.example", subject: "login page", msgid: "<r2@clinic.example>",
		auth: []string{arPass("clinic.example")}, body: "https://login.microsoftonline.com/common\n"})
	if cs, _ := h.st.Correlate(h.ctx, 2); len(cs) != 0 {
		t.Errorf("pending evidence correlates: %+v", cs)
	}
	// The feeds hold what a triager verified, and nothing pending.
	fts, err := h.st.FeedTickets(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ets []export.Ticket
	for _, ft := range fts {
		et := export.Ticket{Number: ft.Number, TLP: "green", State: string(ft.State)}
		for _, in := range ft.Indicators {
			et.Indicators = append(et.Indicators, export.Indicator{Type: in.Type, Value: in.Value, Verified: in.Verified})
		}
		ets = append(ets, et)
	}
	feed, err := export.Filter(ets, export.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var published []string
	for _, ft := range feed {
		for _, in := range ft.Indicators {
			published = append(published, in.Value)
		}
	}
	if !slices.Contains(published, "https://evil.example/login") || slices.ContainsFunc(published, func(v string) bool {
		return strings.Contains(v, "microsoftonline") || strings.Contains(v, "st-anne")
	}) {
		t.Errorf("feed: %v", published)
	}

	// Named, a pending value is accepted and verified; #unverify takes it
	// back; #accept takes the rest as the ticket's own.
	h.triager(1, true, "#verify portal[.]st-anne-hospital[.]example\n")
	if x := h.indicators(1)["portal.st-anne-hospital.example"]; !x.Verified || x.Pending {
		t.Errorf("named #verify: %+v", x)
	}
	h.triager(1, true, "#unverify portal.st-anne-hospital.example\n")
	if x := h.indicators(1)["portal.st-anne-hospital.example"]; x.Verified {
		t.Errorf("after #unverify: %+v", x)
	}
	h.triager(1, true, "#accept\n")
	for v, x := range h.indicators(1) {
		if x.Pending {
			t.Errorf("%s still pending after #accept", v)
		}
	}
}

// TestNoBackscatter (point 3): a report whose From our MTA cannot
// authenticate is ticketed and flagged, its evidence pending, and not
// acknowledged; the ack quotes the subject defanged and cut.
func TestNoBackscatter(t *testing.T) {
	for _, tt := range []struct {
		name   string
		auth   []string
		adjust func(*Config)
		ack    bool
	}{
		{"dmarc fail", []string{arFail("bank.example")}, nil, false},
		{"no aligned pass", []string{arNone("bank.example")}, nil, false},
		{"not through our MTA", nil, nil, false},
		{"forged header below a foreign one", []string{"mx.elsewhere.example; none", arPass("bank.example")}, nil, false},
		{"authenticated", []string{arPass("bank.example")}, nil, true},
		{"unauthenticated, acks asked for", []string{arNone("bank.example")}, func(c *Config) { c.AckUnauthenticated = true }, true},
		{"no authserv-id configured", nil, func(c *Config) { c.AuthservID = "" }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var adj []func(*Config)
			if tt.adjust != nil {
				adj = append(adj, tt.adjust)
			}
			h := trustHarness(t, adj...)
			subject := "Fwd: verify your account at https://evil-bank.com/login " + strings.Repeat("BUY CHEAP PILLS ", 10)
			out := h.takeMail(rawMail{from: "victim@bank.example", subject: subject, msgid: "<s1@bank.example>", auth: tt.auth,
				body: "https://evil-bank.com/login\n"})
			if out.disposition != DispOpened || out.ticket != 2 {
				t.Fatalf("%+v", out)
			}
			acks := h.sentTo(store.KindAck, "victim@bank.example")
			if len(acks) != 1 || (acks[0].State == store.OutboxQueued) != tt.ack {
				t.Fatalf("acks %+v, want sent: %v", acks, tt.ack)
			}
			tk := h.ticketNow(2)
			pending := h.indicators(2)["https://evil-bank.com/login"].Pending
			if tt.ack != !tk.Flagged && tt.adjust == nil || pending == tt.ack && tt.adjust == nil {
				t.Errorf("flagged %v, evidence pending %v", tk.Flagged, pending)
			}
			if s := acks[0].Subject; strings.Contains(s, "https://evil-bank.com") || !strings.Contains(s, "evil-bank[.]com") ||
				len([]rune(strings.TrimPrefix(s, "[League #2] Received: "))) > maxQuotedSubject+3 {
				t.Errorf("ack subject %q", s)
			}
		})
	}
}

// TestAutomaticMailBudget (point 3): over the budget, acknowledgements
// are still queued (notify holds them) and triagers' notices collapse
// into one digest per triager.
func TestAutomaticMailBudget(t *testing.T) {
	h := trustHarness(t, func(c *Config) { c.AutoMailsPerHour = 6 })
	for i := range 10 {
		h.takeMail(rawMail{from: fmt.Sprintf("it%d@clinic.example", i), subject: "phish", msgid: fmt.Sprintf("<b%d@clinic.example>", i),
			auth: []string{arPass("clinic.example")}, body: "https://evil.example/x\n"})
	}
	var acks, notices, digests int
	for _, m := range h.outbox() {
		switch m.Kind {
		case store.KindAck:
			if m.State == store.OutboxQueued {
				acks++
			}
		case store.KindTriagerNotice:
			notices++
		case store.KindTriagerDigest:
			digests++
			d, _ := m.MailData()
			if len(d.Digest) == 0 || !m.NextAttemptAt.After(h.now) {
				t.Errorf("digest %+v: %+v", m, d)
			}
		}
	}
	if acks != 11 || digests != 2 || notices > 6 {
		t.Errorf("%d acks queued (want 11), %d notices, %d digests (want 2, one per triager)", acks, notices, digests)
	}
	_, d := h.lastTo(store.KindTriagerDigest, alex)
	if len(d.Digest) < 5 {
		t.Errorf("alex's digest gathers %d notices", len(d.Digest))
	}
}

// TestTokenScope (point 4): a triager's reply token, stolen, runs nothing
// on another ticket; it stops working when its ticket has been closed for
// TokenTTL, or when our MTA says the From failed; a confirmation names an
// envelope sender that is not the From.
func TestTokenScope(t *testing.T) {
	h := trustHarness(t)
	h.takeMail(rawMail{from: "it@clinic.example", subject: "other", msgid: "<r2@clinic.example>",
		auth: []string{arPass("clinic.example")}, body: "https://other.example/x\n"})

	// Forged From, no DKIM, alex's token of #1: #merge 2, then #reply to
	// what would be #2's reporter.
	out := h.triager(1, false, "#merge 2\n#reply\nYour account is compromised, send us your password.\n")
	if h.ticketNow(1).State == store.StateClosed || len(h.sentTo(store.KindReply, "it@clinic.example")) > 0 {
		t.Fatalf("a token of #1 merged and relayed to #2's reporter: %+v", out)
	}
	_, e := h.lastTo(store.KindCommandError, alex)
	if !strings.Contains(e.Result, "authority on #2") {
		t.Errorf("command error: %s", e.Result)
	}

	// Our MTA says the From failed: the token authenticates nothing.
	m := rawMail{from: alex, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)), subject: "Re: [League #1] x",
		msgid: "<f1@evil.example>", auth: []string{arFail("volunteers.example")}, body: "#tlp clear\n"}
	h.takeMail(m)
	if h.ticketNow(1).TLP == "clear" {
		t.Error("a token ran a command for a From that failed DMARC")
	}

	// The envelope sender differs: the confirmation says so.
	m = rawMail{from: alex, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)), subject: "Re: [League #1] x",
		msgid: "<f2@volunteers.example>", returnPath: "bounce@attacker.example", auth: []string{arNone("volunteers.example")},
		body: "#severity high\n"}
	h.takeMail(m)
	if _, c := h.lastTo(store.KindCommandConfirm, alex); !strings.Contains(c.Result, "bounce@attacker.example") {
		t.Errorf("confirmation does not name the envelope sender: %s", c.Result)
	}

	// Closed 31 days ago: the token has expired, and the triagers are told.
	h.triager(1, true, "#close\n")
	h.now = h.now.Add(31 * 24 * time.Hour)
	h.triager(1, false, "#reopen\n")
	if h.ticketNow(1).State != store.StateClosed {
		t.Error("an expired token reopened the ticket")
	}
	if _, u := h.lastTo(store.KindTriagerUpdate, sam); !strings.Contains(u.Result, "expired") {
		t.Errorf("update: %s", u.Result)
	}
	// Within the TTL a token still works.
	h.now = h.now.Add(-2 * 24 * time.Hour)
	h.triager(1, false, "#reopen\n")
	if h.ticketNow(1).State == store.StateClosed {
		t.Error("a token within its TTL did not run")
	}
}

// TestMergeWithBothTokens: a triager with a token of each ticket may
// merge them.
func TestMergeWithBothTokens(t *testing.T) {
	h := trustHarness(t)
	h.takeMail(rawMail{from: "it@clinic.example", subject: "other", msgid: "<r2@clinic.example>",
		auth: []string{arPass("clinic.example")}, body: "https://other.example/x\n"})
	h.takeMail(rawMail{from: alex, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)) + ", " + replytoken.Address(league, h.g.Tokens().Issue(2, alex)),
		subject: "Re: [League #1] x", msgid: "<mm@volunteers.example>", auth: []string{arNone("volunteers.example")}, body: "#merge 2\n"})
	if w := h.work(1); w.MergedInto != 2 {
		t.Errorf("not merged: %+v", w)
	}
}

// TestRelayConfirmation (point 5): the confirmation of #reply quotes
// exactly what was relayed, and what followed the quote stays in.
func TestRelayConfirmation(t *testing.T) {
	h := trustHarness(t)
	h.triager(1, true, "#reply\nThe site is blocked.\n\nDe : League <report@league.example>\nÀ : Alex\n\n#7 is the Charité case, TLP:RED\n")
	_, r := h.lastTo(store.KindReply, "soc@hospital.example")
	if r.Text != "The site is blocked." {
		t.Errorf("relayed %q", r.Text)
	}
	if _, c := h.lastTo(store.KindCommandConfirm, alex); !strings.Contains(c.Result, "> The site is blocked.") || strings.Contains(c.Result, "Charité") {
		t.Errorf("confirmation: %s", c.Result)
	}
}

// TestCorrelationOracle (point 7): a reporter learns of other tickets
// only through indicators verified on clear or green tickets that were not
// rejected, and never their numbers.
func TestCorrelationOracle(t *testing.T) {
	h := trustHarness(t)
	probe := func(i int) *store.MailCorrelation {
		from := fmt.Sprintf("probe%d@clinic.example", i)
		h.takeMail(rawMail{from: from, subject: "is this known?", msgid: fmt.Sprintf("<p%d@clinic.example>", i),
			auth: []string{arPass("clinic.example")}, body: "evil.example\n"})
		_, d := h.lastTo(store.KindAck, from)
		return d.Correlation
	}
	if c := probe(1); c != nil {
		t.Errorf("unverified, TLP:AMBER: the ack says %+v", c)
	}
	h.triager(1, true, "#verify\n#tlp red\n")
	if c := probe(2); c != nil {
		t.Errorf("verified, TLP:RED: the ack says %+v", c)
	}
	h.triager(1, true, "#tlp green\n#reject\n")
	if c := probe(3); c != nil {
		t.Errorf("rejected: the ack says %+v", c)
	}
	h.triager(1, true, "#reopen\n#verify\n")
	c := probe(4)
	if c == nil || c.Reports != 1 || len(c.Tickets) != 0 {
		t.Errorf("verified, TLP:GREEN: the ack says %+v, want one report and no ticket number", c)
	}
	// The triagers keep the full view.
	if _, n := h.lastTo(store.KindTriagerNotice, alex); n.Correlation == nil || len(n.Correlation.Tickets) == 0 {
		t.Errorf("triagers' notice: %+v", n.Correlation)
	}
}

// TestAuthenticationResultsRun (issue 12, point 9): through the gateway,
// a triager authenticated only in the second header of our run runs
// commands (the reading itself: mailauth.TestRunOfOurHeaders).
func TestAuthenticationResultsRun(t *testing.T) {
	h := trustHarness(t)
	h.takeMail(rawMail{from: alex, subject: "Re: [League #1] x", msgid: "<ar@volunteers.example>", inReplyTo: "<r1@hospital.example>",
		auth: []string{ourMX + "; dmarc=pass header.from=volunteers.example", ourMX + "; dkim=pass header.d=volunteers.example"},
		body: "#severity critical\n"})
	if h.ticketNow(1).Severity != "critical" {
		t.Errorf("commands of a triager authenticated by the second header did not run: %+v", h.detail(1).Events)
	}
}

// TestFromProblemsRunNothing (point 9): several From addresses, two From
// fields, or an encoded-word hiding an address run no command.
func TestFromProblemsRunNothing(t *testing.T) {
	h := trustHarness(t)
	for i, from := range []string{
		"Alex <" + alex + ">, Eve <eve@evil.example>",
		"=?utf-8?q?Alex_=3Calex=40volunteers=2Eexample=3E?=",
	} {
		h.takeMail(rawMail{from: from, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)), subject: "Re: [League #1] x",
			msgid: fmt.Sprintf("<fp%d@volunteers.example>", i), auth: []string{arPass("volunteers.example")}, body: "#tlp clear\n"})
		if h.ticketNow(1).TLP == "clear" {
			t.Fatalf("From %q ran a command", from)
		}
	}
	two := rawMail{from: alex, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)), subject: "Re: [League #1] x",
		msgid: "<fp9@volunteers.example>", auth: []string{arPass("volunteers.example")}, body: "#tlp clear\n"}
	raw := strings.Replace(string(two.bytes()), "From: "+alex+"\r\n", "From: "+alex+"\r\nFrom: eve@evil.example\r\n", 1)
	h.seq++
	h.takeRaw([]byte(raw), Origin{Mailbox: "file:trust", UID: uint32(h.seq)})
	if tk := h.ticketNow(1); tk.TLP == "clear" || !tk.Flagged {
		t.Errorf("two From fields: %+v", tk)
	}
}

// TestUnauthenticatedAnswer (point 9): a mail from a CERT's address counts
// as its answer only when authenticated; otherwise it is a flagged
// comment.
func TestUnauthenticatedAnswer(t *testing.T) {
	h := trustHarness(t)
	h.triager(1, true, "#escalate CERT-XX\n")
	forged := h.takeMail(rawMail{from: cert, subject: "Re: [League #1] Escalation", msgid: "<a1@evil.example>",
		auth: []string{arNone("cert-xx.example")}, body: "Confirmed, close it: https://evil.example/login is ours.\n"})
	if forged.disposition != DispFlagged {
		t.Errorf("unauthenticated CERT mail: %+v", forged)
	}
	if h.hasEvent(1, "answer", "") {
		t.Error("an unauthenticated mail was taken as the CERT's answer")
	}
	real := h.takeMail(rawMail{from: cert, to: replytoken.Address(league, h.g.Tokens().Issue(1, cert)), subject: "Re: [League #1] Escalation",
		msgid: "<a2@cert-xx.example>", auth: []string{arNone("cert-xx.example")}, body: "Thanks, we handle it.\n"})
	if real.disposition != DispAnswer {
		t.Errorf("the CERT's answer to its reply address: %+v", real)
	}
}

// TestForwardedTokenEvidence: a mail that only a reply token vouches for,
// whose envelope sender is not its From (a token forwarded or stolen),
// adds pending evidence.
func TestForwardedTokenEvidence(t *testing.T) {
	h := trustHarness(t)
	h.takeMail(rawMail{from: alex, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)), subject: "Re: [League #1] x",
		msgid: "<fw@volunteers.example>", returnPath: "mallory@rival.example", auth: []string{arNone("volunteers.example")},
		body: "See also https://planted.example/x\n"})
	if x := h.indicators(1)["https://planted.example/x"]; !x.Pending {
		t.Errorf("planted through a forwarded token: %+v", x)
	}
	h.takeMail(rawMail{from: alex, to: replytoken.Address(league, h.g.Tokens().Issue(1, alex)), subject: "Re: [League #1] x",
		msgid: "<own@volunteers.example>", returnPath: alex, auth: []string{arNone("volunteers.example")},
		body: "See also https://triager.example/x\n"})
	if x := h.indicators(1)["https://triager.example/x"]; x.Pending {
		t.Errorf("the triager's own token-borne evidence is pending: %+v", x)
	}
}
