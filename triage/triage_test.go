package triage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

const alice = "alice@hospital.example"

func TestNewReportOpensTicket(t *testing.T) {
	h := newHarness(t)
	if _, err := h.st.PutContact(h.ctx, store.Contact{Kind: "institution", Name: "Hospital of Example", Email: "soc@hospital.example", Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	m := report(alice, "<r1@hospital.example>", "Phishing: fake VPN login",
		domain("evil.example", parser.LayerEvidence), parser.Indicator{Type: "ipv4", Value: "192.0.2.7", Sources: []string{"header:received"}})
	m.FromName = "Alice"
	m.Cc = []string{"bob@hospital.example", "report@league.example"}
	out := h.take(m)
	if out.disposition != DispOpened || out.ticket != 1 {
		t.Fatalf("outcome = %+v", out)
	}
	d := h.detail(1)
	tk := d.Ticket
	if tk.State != store.StateNew || tk.Reporter != alice || tk.ReporterName != "Alice" ||
		tk.Subject != "Phishing: fake VPN login" || tk.Institution == nil || tk.Institution.Name != "Hospital of Example" {
		t.Errorf("ticket = %+v", tk)
	}
	if len(d.Indicators) != 2 {
		t.Errorf("indicators = %+v", d.Indicators)
	}
	var parts []string
	for _, p := range d.Participants {
		parts = append(parts, p.Email+"/"+p.Role)
	}
	if got := strings.Join(parts, " "); got != "alex@volunteers.example/triager alice@hospital.example/reporter bob@hospital.example/copied" {
		t.Errorf("participants = %s", got)
	}
	ob := h.outbox()
	if len(ob) != 2 {
		t.Fatalf("outbox = %+v", ob)
	}
	ack, notice := ob[0], ob[1]
	if ack.Kind != store.KindAck || ack.State != store.OutboxQueued || ack.Recipients[0] != alice ||
		ack.InReplyTo != "<r1@hospital.example>" || ack.Subject != "[League #1] Received: Phishing: fake VPN login" ||
		ack.From != league || !strings.HasPrefix(ack.MessageID, "<t1.") {
		t.Errorf("ack = %+v", ack)
	}
	tok := strings.TrimSuffix(strings.TrimPrefix(ack.ReplyTo, "report+"), "@league.example")
	if n, ok := h.g.Tokens().Verify(tok, alice); !ok || n != 1 {
		t.Errorf("ack Reply-To %q: token does not verify for the reporter", ack.ReplyTo)
	}
	var data store.MailData
	if err := json.Unmarshal(ack.Data, &data); err != nil || data.Ticket != 1 || data.IndicatorCount != 2 || data.Institution != "Hospital of Example" {
		t.Errorf("ack data = %s (%v)", ack.Data, err)
	}
	if notice.Kind != store.KindTriagerNotice || notice.Recipients[0] != "alex@volunteers.example" || notice.InReplyTo != "" {
		t.Errorf("notice = %+v", notice)
	}
	kinds := ""
	for _, e := range d.Events {
		kinds += e.Kind + " "
	}
	if kinds != "opened queued queued " {
		t.Errorf("events = %s", kinds)
	}
}

func TestThreading(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@hospital.example>", "Phish"))
	ack := h.outbox()[0]
	tok := h.g.Tokens().Issue(1, alice)
	reply := func(f func(m *parser.Message)) *parser.Message {
		m := report(alice, "", "Re: something")
		m.Kind = parser.KindReply
		f(m)
		return m
	}
	n1 := int64(1)
	n99 := int64(99)
	for _, c := range []struct {
		name string
		msg  *parser.Message
		by   string
	}{
		{"token", reply(func(m *parser.Message) { m.Tokens = []string{tok} }), "token"},
		{"in-reply-to", reply(func(m *parser.Message) { m.InReplyTo = ack.MessageID }), "in-reply-to"},
		{"in-reply-to, no brackets", reply(func(m *parser.Message) { m.InReplyTo = strings.Trim(ack.MessageID, "<>") }), "in-reply-to"},
		{"references", reply(func(m *parser.Message) { m.References = []string{"<unknown@x>", ack.MessageID, "<other@y>"} }), "references"},
		{"references to the report itself", reply(func(m *parser.Message) { m.References = []string{"<r1@hospital.example>"} }), "references"},
		{"subject tag", reply(func(m *parser.Message) { m.TicketRef = &n1 }), "subject-tag"},
		{"token wins over others", reply(func(m *parser.Message) {
			m.Tokens = []string{tok}
			m.InReplyTo = "<nothing@x>"
			m.TicketRef = &n99
		}), "token"},
	} {
		out := h.take(c.msg)
		if out.ticket != 1 || out.matchedBy != c.by || out.disposition != DispAppended || out.flagged {
			t.Errorf("%s: outcome = %+v, want appended to #1 by %s", c.name, out, c.by)
		}
	}
	if c := h.counts(); c.Tickets != 1 || c.Outbox != 2 {
		t.Errorf("replies opened tickets or queued mail: %+v", c)
	}
	// A tag of a ticket that does not exist: a new report.
	if out := h.take(reply(func(m *parser.Message) { m.TicketRef = &n99 })); out.disposition != DispOpened || out.ticket != 2 {
		t.Errorf("unknown tag: %+v", out)
	}
}

func TestNonParticipantFlagged(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@hospital.example>", "Phish"))
	n1 := int64(1)
	stranger := report("mallory@evil.example", "", "Re: [League #1] Phish")
	stranger.TicketRef = &n1
	out := h.take(stranger)
	if out.ticket != 1 || !out.flagged || out.disposition != DispFlagged {
		t.Fatalf("stranger's reply: %+v", out)
	}
	if tk := h.detail(1).Ticket; !tk.Flagged {
		t.Error("ticket not flagged")
	}
	if !h.hasEvent(1, "flagged", "mallory@evil.example, who is not a participant") {
		t.Error("no flagged event")
	}
	// Alice's token, used by someone else (a forwarded ack): a weak match,
	// flagged too.
	fwd := report("carol@elsewhere.example", "", "Fwd: your ticket")
	fwd.Tokens = []string{h.g.Tokens().Issue(1, alice)}
	if out := h.take(fwd); out.ticket != 1 || out.matchedBy != "token-unverified" || !out.flagged {
		t.Errorf("someone else's token: %+v", out)
	}
	// A triager and a copied colleague are participants.
	tri := report("alex@volunteers.example", "", "Re: [League #1]")
	tri.TicketRef = &n1
	if out := h.take(tri); out.flagged {
		t.Errorf("triager's reply flagged: %+v", out)
	}
	c := h.counts()
	if c.Tickets != 1 {
		t.Errorf("tickets = %d", c.Tickets)
	}
}

func TestAutoRepliesAndBouncesOpenNothing(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@hospital.example>", "Phish"))
	ack := h.outbox()[0]
	before := h.counts()

	ooo := &parser.Message{Kind: parser.KindAutoReply, From: alice, MessageID: "<ooo@h>", InReplyTo: ack.MessageID,
		Subject: "Out of office", AutoReason: "Auto-Submitted: auto-replied"}
	if out := h.take(ooo); out.disposition != DispAutoReply || out.ticket != 1 {
		t.Errorf("auto-reply: %+v", out)
	}
	lost := &parser.Message{Kind: parser.KindAutoReply, From: "someone@x.example", MessageID: "<ooo2@h>", Subject: "Away"}
	if out := h.take(lost); out.disposition != DispAutoReply+DispUnmatched || out.ticket != 0 {
		t.Errorf("unmatched auto-reply: %+v", out)
	}
	bounce := &parser.Message{Kind: parser.KindBounce, From: "MAILER-DAEMON@mx.hospital.example", MessageID: "<dsn1@mx>",
		Bounce: &parser.Bounce{Status: "5.1.1", Action: "failed", Recipients: []string{alice},
			OriginalMessageID: ack.MessageID, Diagnostic: "550 5.1.1 user unknown"}}
	if out := h.take(bounce); out.disposition != DispBounce || out.ticket != 1 {
		t.Errorf("bounce: %+v", out)
	}
	junk := &parser.Message{Kind: parser.KindBounce, From: "MAILER-DAEMON@mx.example", MessageID: "<dsn2@mx>",
		Bounce: &parser.Bounce{Status: "5.0.0", OriginalMessageID: "<not-ours@x>"}}
	if out := h.take(junk); out.disposition != DispBounce+DispUnmatched {
		t.Errorf("unmatched bounce: %+v", out)
	}
	delayed := &parser.Message{Kind: parser.KindBounce, From: "MAILER-DAEMON@mx.example", MessageID: "<dsn3@mx>",
		Bounce: &parser.Bounce{Status: "4.4.7", Action: "delayed", OriginalMessageID: ack.MessageID}}
	h.take(delayed)

	after := h.counts()
	if after.Tickets != before.Tickets || after.Outbox != before.Outbox {
		t.Errorf("auto-replies and bounces changed tickets or outbox: %+v -> %+v", before, after)
	}
	ob := h.outbox()[0]
	if ob.State != store.OutboxFailed || ob.DSNStatus != "5.1.1" || !strings.Contains(ob.LastError, "user unknown") {
		t.Errorf("bounced ack = %+v", ob)
	}
	if !h.hasEvent(1, "delivery-failed", "5.1.1") || !h.hasEvent(1, "auto-reply", "not answered") || !h.hasEvent(1, "delivery-delayed", "") {
		t.Errorf("events: %+v", h.detail(1).Events)
	}
}

func TestCorrelation(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@h>", "Phish one", domain("evil.example", parser.LayerEvidence), domain("a.example", parser.LayerReport)))
	h.take(report("bob@clinic.example", "<r2@c>", "Unrelated", domain("b.example", parser.LayerEvidence)))
	h.take(report("carol@care.example", "<r3@c>", "Phish two", domain("evil.example", parser.LayerEvidence)))
	out := h.take(report("dan@doc.example", "<r4@d>", "Phish three", domain("evil.example", parser.LayerReport), domain("b.example", parser.LayerEvidence)))
	if out.ticket != 4 {
		t.Fatalf("outcome %+v", out)
	}
	if !h.hasEvent(4, "correlated", "seen in 3 other reports, first on 2026-11-23: #1, #2, #3") {
		t.Errorf("events of #4: %+v", h.detail(4).Events)
	}
	if !h.hasEvent(3, "correlated", "seen in 1 other report") {
		t.Errorf("events of #3: %+v", h.detail(3).Events)
	}
	if h.hasEvent(2, "correlated", "") {
		t.Error("#2 correlated with nothing before it")
	}
	var data store.MailData
	ob := h.outbox()
	json.Unmarshal(ob[len(ob)-2].Data, &data) // #4's ack
	// Nothing the others saw was verified: the reporter learns nothing of
	// them (DESIGN.md invariant 8); the triagers see all of it.
	if data.Correlation != nil {
		t.Errorf("ack data correlation = %+v, want none", data.Correlation)
	}
	json.Unmarshal(ob[len(ob)-1].Data, &data) // #4's notice
	if data.Correlation == nil || data.Correlation.Reports != 3 || len(data.Correlation.Indicators) != 2 {
		t.Errorf("notice data correlation = %+v", data.Correlation)
	}
	cs, _ := h.st.Correlate(h.ctx, 1)
	if len(cs) != 1 || len(cs[0].Tickets) != 2 {
		t.Errorf("#1 now correlates with %+v", cs)
	}
}

func TestReplyToClosedTicket(t *testing.T) {
	h := newHarness(t)
	closeTicket := func(n int64, s store.State) {
		err := h.st.Update(h.ctx, func(tx *store.Tx) error {
			return tx.SetState(h.ctx, n, s, store.Event{At: h.now, Actor: "alex@volunteers.example"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	reply := func(from string, n int64) *parser.Message {
		m := report(from, "", "Re: [League]")
		m.TicketRef = &n
		return m
	}
	h.take(report(alice, "<r1@h>", "Phish"))
	closeTicket(1, store.StateClosed)

	h.now = h.now.Add(3 * 24 * time.Hour)
	out := h.take(reply(alice, 1))
	if out.disposition != DispReopened || out.ticket != 1 || h.detail(1).Ticket.State != store.StateNew {
		t.Fatalf("reply 3 days after closing: %+v", out)
	}
	if !h.hasEvent(1, "state", "closed -> new: reopened by a reply from alice@hospital.example, 3 days after") {
		t.Errorf("events: %+v", h.detail(1).Events)
	}

	closeTicket(1, store.StateClosed)
	h.now = h.now.Add(40 * 24 * time.Hour)
	out = h.take(reply(alice, 1))
	if out.disposition != DispFollowUp || out.ticket != 2 {
		t.Fatalf("reply 40 days after closing: %+v", out)
	}
	if tk := h.detail(2).Ticket; tk.Follows != 1 || tk.State != store.StateNew {
		t.Errorf("follow-up ticket = %+v", tk)
	}
	if !h.hasEvent(1, "followed-up", "opened #2: #1 was closed more than 30 days ago") {
		t.Errorf("events of #1: %+v", h.detail(1).Events)
	}

	closeTicket(2, store.StateRejected)
	if out := h.take(reply(alice, 2)); out.disposition != DispFollowUp || out.ticket != 3 {
		t.Errorf("reply to a rejected ticket: %+v", out)
	}
	closeTicket(3, store.StateClosed)
	if out := h.take(reply("mallory@evil.example", 3)); out.disposition != DispFollowUp || out.ticket != 4 {
		t.Errorf("stranger's reply to a closed ticket: %+v", out)
	}
	if !h.hasEvent(4, "opened", "follows #3: mallory@evil.example is not a participant of #3") {
		t.Errorf("events of #4: %+v", h.detail(4).Events)
	}
	// Follow-ups are acknowledged like any report.
	acks := 0
	for _, o := range h.outbox() {
		if o.Kind == store.KindAck && o.State == store.OutboxQueued {
			acks++
		}
	}
	if acks != 4 {
		t.Errorf("%d acks queued, want 4", acks)
	}
}

func TestAckSuppression(t *testing.T) {
	h := newHarness(t)
	list := report("soc@lists.example", "<l1@x>", "Weekly digest")
	list.Header = map[string][]string{"List-Id": {"<soc.lists.example>"}}
	h.take(list)
	ob := h.outbox()
	if ob[0].Kind != store.KindAck || ob[0].State != store.OutboxSuppressed || !strings.Contains(ob[0].LastError, "mailing list") {
		t.Errorf("ack to a list: %+v", ob[0])
	}
	if !h.hasEvent(1, "suppressed", "mailing list") {
		t.Error("no suppressed event")
	}
	if ob[1].State != store.OutboxQueued {
		t.Error("triagers not told of a list's report")
	}

	// Rate limit: 5 an hour per sender.
	states := ""
	for i := 0; i < 7; i++ {
		h.now = h.now.Add(5 * time.Minute)
		out := h.take(report("busy@clinic.example", "", "report"))
		for _, o := range h.outbox() {
			if o.Ticket == out.ticket && o.Kind == store.KindAck {
				states += string(o.State)[:1]
			}
		}
	}
	if states != "qqqqqss" {
		t.Errorf("ack states = %s, want qqqqqss", states)
	}
	h.now = h.now.Add(time.Hour)
	out := h.take(report("busy@clinic.example", "", "report"))
	if o := h.outbox(); o[len(o)-2].Ticket != out.ticket || o[len(o)-2].State != store.OutboxQueued {
		t.Errorf("after an hour: %+v", o[len(o)-2])
	}
}

func TestTakeIsIdempotent(t *testing.T) {
	h := newHarness(t)
	raw := []byte("From: alice@hospital.example\r\nMessage-ID: <x1@h>\r\nSubject: hi\r\n\r\nhttp://evil.example/a\r\n")
	imap := Origin{Mailbox: "imap://report@mx/INBOX", UIDValidity: 7, UID: 3}
	h.takeRaw(raw, imap)
	want := h.counts()
	h.takeRaw(raw, imap)
	if got := h.counts(); got != want {
		t.Errorf("same origin again: %+v -> %+v", want, got)
	}
	// The same bytes from elsewhere: only the origin is recorded.
	h.takeRaw(raw, Origin{Mailbox: "imap://report@mx/INBOX", UIDValidity: 7, UID: 9})
	h.takeRaw(raw, Origin{Mailbox: "file:/tmp/x.eml"})
	got := h.counts()
	want.Origins += 2
	if got != want {
		t.Errorf("same bytes, other origins: %+v, want %+v", got, want)
	}
	if v, u, _ := h.g.Checkpoint(h.ctx, "imap://report@mx/INBOX"); v != 7 || u != 9 {
		t.Errorf("checkpoint = %d/%d, want 7/9", v, u)
	}
	// The same origin with other bytes is the same IMAP message: nothing.
	if err := h.g.Take(h.ctx, append(raw, 'x'), imap); err != nil {
		t.Fatal(err)
	}
	if c := h.counts(); c.Mails != 1 {
		t.Errorf("same IMAP origin, other bytes: %d mails", c.Mails)
	}
}

func TestDuplicateDelivery(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@h>", "Phish"))
	again := report(alice, "<r1@h>", "Phish") // other raw bytes, same id and sender
	out := h.take(again)
	if out.disposition != DispDuplicate || out.ticket != 1 {
		t.Errorf("duplicate: %+v", out)
	}
	forged := report("mallory@evil.example", "<r1@h>", "Phish")
	if out := h.take(forged); out.disposition != DispOpened {
		t.Errorf("same Message-ID from another sender: %+v", out)
	}
	if c := h.counts(); c.Mails != 3 || c.Tickets != 2 {
		t.Errorf("counts = %+v", c)
	}
}

func TestUnreadableMailIsTicketed(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		inner := c.Parse
		c.Parse = func(raw []byte) *parser.Message {
			if string(raw) == "boom" {
				panic("index out of range")
			}
			return inner(raw)
		}
	})
	out := h.takeRaw([]byte("\x00\x01 not a mail at all"), Origin{Mailbox: "file:a"})
	if out.disposition != DispOpened {
		t.Fatalf("unreadable mail: %+v", out)
	}
	if !h.hasEvent(out.ticket, "parse-errors", "not a mail") || !h.hasEvent(out.ticket, "suppressed", "no sender") {
		t.Errorf("events: %+v", h.detail(out.ticket).Events)
	}
	out = h.takeRaw([]byte("boom"), Origin{Mailbox: "file:b"})
	if out.disposition != DispOpened || !h.hasEvent(out.ticket, "parse-errors", "the parser failed") {
		t.Errorf("parser panic: %+v", out)
	}
	var rej *RejectError
	if err := h.g.Take(h.ctx, nil, Origin{Mailbox: "file:c"}); !errors.As(err, &rej) {
		t.Errorf("empty mail: err = %v, want a RejectError", err)
	}
}

func TestOwnMailNeverAnswered(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@h>", "Phish"))
	ack := h.outbox()[0]
	echo := report(league, ack.MessageID, ack.Subject)
	echo.InReplyTo = "<r1@h>"
	if out := h.take(echo); out.disposition != DispOwn || out.ticket != 1 {
		t.Errorf("our own mail back: %+v", out)
	}
	if c := h.counts(); c.Tickets != 1 || c.Outbox != 2 {
		t.Errorf("counts = %+v", c)
	}
}

// TestCommandsWithoutAuthority: with no authserv-id configured and no
// reply token, a triager's commands are kept as a comment, never run; a
// reporter's are too, and both flag the ticket.
func TestCommandsWithoutAuthority(t *testing.T) {
	h := newHarness(t)
	h.take(report(alice, "<r1@h>", "Phish"))
	n1 := int64(1)
	tri := report("alex@volunteers.example", "", "Re: [League #1]")
	tri.TicketRef = &n1
	tri.Commands = []parser.Command{{Name: "close", Line: "#close"}}
	h.take(tri)
	d := h.detail(1)
	if !h.hasEvent(1, "comment", "#close") || !d.Ticket.Flagged || d.Ticket.State != store.StateNew {
		t.Errorf("triager command: %+v", d.Events)
	}
	rep := report(alice, "", "Re: [League #1]")
	rep.TicketRef = &n1
	rep.Commands = []parser.Command{{Name: "close", Line: "#close\r\nBcc: x"}}
	h.take(rep)
	if !h.hasEvent(1, "flagged", "not a triager") || h.detail(1).Ticket.State != store.StateNew {
		t.Errorf("reporter command: %+v", h.detail(1).Events)
	}
}

func TestTakeCancelled(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(h.ctx)
	cancel()
	h.msgs["raw"] = report(alice, "<r@h>", "x")
	if err := h.g.Take(ctx, []byte("raw"), Origin{Mailbox: "file:x"}); err == nil {
		t.Fatal("Take with a cancelled context succeeded")
	}
	if c := h.counts(); c.Mails != 0 {
		t.Errorf("a failed Take left %+v", c)
	}
}

func TestConcurrentTakes(t *testing.T) {
	h := newHarness(t)
	raws := make([][]byte, 20)
	for i := range raws {
		raws[i] = []byte(fmt.Sprintf("From: user%d@clinic.example\r\nMessage-ID: <c%d@clinic.example>\r\nSubject: r%d\r\n\r\nhttp://evil.example/%d\r\n", i, i, i, i))
	}
	errs := make(chan error, 4*len(raws))
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, raw := range raws {
				errs <- h.g.Take(h.ctx, raw, Origin{Mailbox: "imap://x/INBOX", UIDValidity: 1, UID: uint32(i + 1)})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := h.counts(); c.Mails != 20 || c.Tickets != 20 || c.Outbox != 40 || c.Origins != 20 {
		t.Errorf("four takers of the same 20 mails: %+v", c)
	}
}
