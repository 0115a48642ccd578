package triage

import (
	"bytes"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
)

const (
	alex = "alex@volunteers.example" // a configured triager
	sam  = "sam@triagers.example"    // a triager from the contacts
	cert = "incident@cert-xx.example"
)

var seedContacts = []store.Contact{
	{Kind: "cert", Name: "CERT-XX", Email: cert, Country: "XX"},
	{Kind: "cert", Name: "CERT-YY", Email: "cert@cert-yy.example", Country: "YY"},
	{Kind: "institution", Name: "St Mary Hospital", Email: "soc@hospital.example", Country: "XX", Region: "North"},
	{Kind: "institution", Name: "General Clinic", Email: "it@clinic.example", Country: "XX", Region: "North"},
	{Kind: "institution", Name: "Far Hospital", Email: "sec@far-hospital.example", Country: "XX", Region: "South"},
	{Kind: "institution", Name: "Lone Hospital", Email: "it@lone.example", Country: "ZZ"},
	{Kind: "triager", Name: "Sam Okafor", Email: sam},
}

// newCommandHarness is a gateway with the real parser and our MTA's
// authserv-id, the contacts above, and three reports: #1 from St Mary
// (XX, North), #2 from General Clinic (XX, North), #3 from Lone Hospital
// (ZZ, a country without a CERT).
func newCommandHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, func(c *Config) {
		c.Parse = nil
		c.AuthservID = "MX.League.example" // compared without case
	})
	for _, c := range seedContacts {
		if _, err := h.st.PutContact(h.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for i, f := range []string{"report-stmary.eml", "report-clinic.eml", "report-lone.eml"} {
		if out := h.mail(f); out.disposition != DispOpened || out.ticket != int64(i+1) {
			t.Fatalf("%s: %+v", f, out)
		}
	}
	return h
}

// mail takes in a mail of testdata/commands, a minute after the last one,
// with its tokens and Message-IDs filled in.
func (h *harness) mail(name string) outcome {
	h.t.Helper()
	b, err := os.ReadFile("testdata/commands/" + name)
	if err != nil {
		h.t.Fatal(err)
	}
	tmpl, err := template.New(name).Funcs(template.FuncMap{
		"token": func(n int64, addr string) string { return h.g.Tokens().Issue(n, addr) },
		"msgid": func(n int64, kind, to string) string {
			id := "<unknown@nowhere.example>"
			for _, o := range h.outbox() {
				if o.Ticket == n && o.Kind == kind && slices.Contains(o.Recipients, to) {
					id = o.MessageID
				}
			}
			return id
		},
	}).Parse(string(b))
	if err != nil {
		h.t.Fatal(err)
	}
	var raw bytes.Buffer
	if err := tmpl.Execute(&raw, nil); err != nil {
		h.t.Fatal(err)
	}
	h.seq++
	h.now = h.now.Add(time.Minute)
	return h.takeRaw(raw.Bytes(), Origin{Mailbox: "file:" + name, UID: uint32(h.seq)})
}

func (h *harness) ticketNow(n int64) store.Ticket {
	h.t.Helper()
	t, err := h.st.Ticket(h.ctx, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return t
}

func (h *harness) work(n int64) store.Work {
	h.t.Helper()
	w, err := h.st.Work(h.ctx, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return w
}

// events returns the events of ticket n of kind.
func (h *harness) events(n int64, kind string) []store.Event {
	var out []store.Event
	for _, e := range h.detail(n).Events {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}

// data decodes an outbox mail's template data.
func data(t *testing.T, o store.OutboxMail) store.MailData {
	t.Helper()
	var d store.MailData
	if err := json.Unmarshal(o.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// sent are the outbox mails queued since the outbox had from rows.
type sent []store.OutboxMail

func (s sent) to(kind, rcpt string) []store.OutboxMail {
	var out []store.OutboxMail
	for _, o := range s {
		if o.Kind == kind && slices.Contains(o.Recipients, rcpt) {
			out = append(out, o)
		}
	}
	return out
}

func (s sent) kinds() []string {
	var ks []string
	for _, o := range s {
		k := o.Kind
		if o.Template != o.Kind {
			k += "/" + o.Template
		}
		ks = append(ks, k+" "+strings.Join(o.Recipients, ","))
	}
	return ks
}

// one returns the only mail of kind to rcpt, failing the test otherwise.
func (s sent) one(t *testing.T, kind, rcpt string) store.OutboxMail {
	t.Helper()
	got := s.to(kind, rcpt)
	if len(got) != 1 {
		t.Fatalf("%d %s mails to %s; queued: %q", len(got), kind, rcpt, s.kinds())
	}
	return got[0]
}

// confirmed checks that the sender got one confirmation (and no error)
// naming the commands.
func confirmed(t *testing.T, s sent, to string, commands ...string) {
	t.Helper()
	if e := s.to(store.KindCommandError, to); len(e) > 0 {
		t.Fatalf("error mail: %s", data(t, e[0]).Result)
	}
	d := data(t, s.one(t, store.KindCommandConfirm, to))
	for _, c := range commands {
		if !strings.Contains(d.Command, c) {
			t.Errorf("confirmation %q lacks %q", d.Command, c)
		}
	}
}

// refused checks that the sender got one error mail quoting line and
// saying why, and no confirmation.
func refused(t *testing.T, s sent, to, line, why string) {
	t.Helper()
	if c := s.to(store.KindCommandConfirm, to); len(c) > 0 {
		t.Fatalf("confirmation sent: %s", data(t, c[0]).Result)
	}
	o := s.one(t, store.KindCommandError, to)
	d := data(t, o)
	if d.Command != line || !strings.Contains(d.Result, why) {
		t.Errorf("error mail: command %q, result %q; want %q and %q", d.Command, d.Result, line, why)
	}
	if !strings.HasPrefix(o.Subject, "[League #") || o.InReplyTo == "" {
		t.Errorf("error mail not a reply: %+v", o)
	}
}

// notRun checks that commands were not run on ticket n: kept as a
// comment, the ticket flagged, every triager told, nothing answered to
// the sender.
func notRun(t *testing.T, h *harness, s sent, n int64, why string) {
	t.Helper()
	tk := h.ticketNow(n)
	if tk.State != store.StateNew || !tk.Flagged {
		t.Errorf("#%d: state %s, flagged %v", n, tk.State, tk.Flagged)
	}
	if len(h.events(n, "command")) > 0 {
		t.Errorf("a command ran: %+v", h.events(n, "command"))
	}
	c := h.events(n, "comment")
	if len(c) == 0 || !strings.Contains(c[len(c)-1].Detail, why) {
		t.Errorf("comment events %+v, want one saying %q", c, why)
	}
	for _, tr := range []string{alex, sam} {
		o := s.one(t, store.KindTriagerUpdate, tr)
		if o.Template != store.KindTriagerUpdate || !strings.Contains(data(t, o).Result, "not run") {
			t.Errorf("notice to %s: %+v", tr, o)
		}
	}
	if len(s.to(store.KindCommandConfirm, alex))+len(s.to(store.KindCommandError, alex)) > 0 {
		t.Errorf("the sender was answered: %q", s.kinds())
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name   string
		before []string // mails taken in before the one tested
		mail   string
		check  func(t *testing.T, h *harness, out outcome, s sent)
	}{
		{"take", nil, "take.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if w := h.work(1); w.Assignee != alex {
				t.Errorf("assignee %q", w.Assignee)
			}
			if st := h.ticketNow(1).State; st != store.StateTriaged {
				t.Errorf("state %s", st)
			}
			confirmed(t, s, alex, "#take")
			if c := s.one(t, store.KindCommandConfirm, alex); c.InReplyTo != "<a7f3c2e1-5d44-4a0b-8f1e-2b9d6c1e0f77@volunteers.example>" {
				t.Errorf("confirmation threads to %q", c.InReplyTo)
			}
			ev := h.events(1, "command")
			if len(ev) != 1 || ev[0].Actor != alex || !strings.Contains(string(ev[0].Data), "dkim=pass header.d=volunteers.example") {
				t.Errorf("command events %+v", ev)
			}
		}},
		{"severity and tlp, any case and spacing, by reply token", nil, "severity-tlp.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			tk := h.ticketNow(1)
			if tk.Severity != "high" || tk.TLP != "green" {
				t.Errorf("severity %q tlp %q", tk.Severity, tk.TLP)
			}
			confirmed(t, s, sam, "#Severity   HIGH", "#TLP green")
			ev := h.events(1, "command")
			if len(ev) != 2 || !strings.Contains(string(ev[0].Data), "reply token of #1") {
				t.Errorf("command events %+v", ev)
			}
		}},
		{"tlp by reply token", nil, "token.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if tk := h.ticketNow(1); tk.TLP != "red" {
				t.Errorf("tlp %q", tk.TLP)
			}
			confirmed(t, s, alex, "#tlp red")
		}},
		{"verify, DKIM of a subdomain", nil, "verify.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			inds := h.detail(1).Indicators
			if len(inds) == 0 {
				t.Fatal("no indicators on #1")
			}
			for _, x := range inds {
				if !x.Verified {
					t.Errorf("%s %s not verified", x.Type, x.Value)
				}
			}
			for _, x := range h.detail(3).Indicators {
				if x.Verified {
					t.Errorf("#3's %s verified too", x.Value)
				}
			}
			confirmed(t, s, alex, "#verify")
		}},
		{"verify some, written defanged", nil, "verify-some.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			var verified, not []string
			for _, x := range h.detail(1).Indicators {
				if x.Verified {
					verified = append(verified, x.Value)
				} else {
					not = append(not, x.Value)
				}
			}
			slices.Sort(verified)
			if !slices.Equal(verified, []string{"http://vpn-renew.evil.example/login", "vpn-renew.evil.example"}) || !slices.Contains(not, "91.92.240.23") {
				t.Errorf("verified %q, not %q", verified, not)
			}
			confirmed(t, s, alex, "#verify vpn-renew[.]evil[.]example")
		}},
		{"alert without verified indicators", nil, "alert-unverified.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			refused(t, s, alex, "#alert", "no indicator of #1 is verified")
			if len(s.to(store.KindAlert, "it@clinic.example")) > 0 {
				t.Error("alert queued")
			}
		}},
		{"escalate to a named CERT", []string{"severity-tlp.eml"}, "escalate-named.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			o := s.one(t, store.KindEscalation, cert)
			d := data(t, o)
			if d.RecipientName != "CERT-XX" || d.Severity != "high" || d.TLP != "green" || d.Institution != "St Mary Hospital" ||
				d.Country != "XX" || d.Ticket != 1 || d.Subject != "Phishing: fake VPN login page" || d.Created.IsZero() {
				t.Errorf("escalation data %+v", d)
			}
			if !slices.ContainsFunc(d.Indicators, func(x store.MailIndicator) bool {
				return x.Type == "url" && x.Value == "http://vpn-renew.evil.example/login" && !x.Pending
			}) || d.IndicatorCount != len(d.Indicators) {
				t.Errorf("escalation indicators %+v", d.Indicators)
			}
			if o.From != league || o.ReplyTo != replytoken.Address(league, h.g.Tokens().Issue(1, cert)) {
				t.Errorf("escalation from %s reply-to %s", o.From, o.ReplyTo)
			}
			if o.InReplyTo != "" || strings.Contains(strings.Join(o.References, " "), "volunteers.example") {
				t.Errorf("escalation threads to the triager's mail: %q %q", o.InReplyTo, o.References)
			}
			if st := h.ticketNow(1).State; st != store.StateEscalated {
				t.Errorf("state %s", st)
			}
			confirmed(t, s, alex, "#escalate cert-xx")
		}},
		{"escalate routed by country", nil, "escalate-route.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			s.one(t, store.KindEscalation, cert)
			if len(s.to(store.KindEscalation, "cert@cert-yy.example")) > 0 {
				t.Error("escalated to CERT-YY too")
			}
			confirmed(t, s, alex, "#ESCALATE")
		}},
		{"escalate without a known CERT", nil, "escalate-nocert.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			refused(t, s, alex, "#escalate", "no CERT of ZZ (the country of Lone Hospital")
			if d := data(t, s.one(t, store.KindCommandError, alex)); !strings.Contains(d.Result, "Nothing was sent") && !strings.Contains(d.Result, "not sent") {
				t.Errorf("error does not say nothing was sent: %s", d.Result)
			}
			for _, o := range h.outbox() {
				if o.Kind == store.KindEscalation {
					t.Errorf("escalation queued: %+v", o)
				}
			}
			if st := h.ticketNow(3).State; st != store.StateNew {
				t.Errorf("state %s", st)
			}
		}},
		{"verify then alert the region", nil, "alert.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			o := s.one(t, store.KindAlert, "it@clinic.example")
			var alerts []string
			for _, x := range s {
				if x.Kind == store.KindAlert {
					alerts = append(alerts, x.Recipients...)
				}
			}
			if len(alerts) != 1 {
				t.Errorf("alerts to %q; want General Clinic only (not the reporter's own, not the South)", alerts)
			}
			d := data(t, o)
			if d.Area != "North (XX)" || d.RecipientName != "General Clinic" || len(d.Indicators) == 0 {
				t.Errorf("alert data %+v", d)
			}
			if d.Reporter != "" || d.Institution != "" || strings.Contains(o.Subject, "VPN login") {
				t.Errorf("the alert says who reported: %+v, subject %q", d, o.Subject)
			}
			for _, x := range d.Indicators {
				if !x.Verified {
					t.Errorf("unverified indicator in alert: %+v", x)
				}
			}
			confirmed(t, s, alex, "#verify", "#alert")
		}},
		{"reply relayed to the reporter", nil, "reply.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			o := s.one(t, store.KindReply, "alice@hospital.example")
			d := data(t, o)
			if !strings.HasPrefix(d.Text, "Dear Alice,") || !strings.HasSuffix(d.Text, "The League") {
				t.Errorf("relayed text %q", d.Text)
			}
			raw, _ := json.Marshal(o)
			if strings.Contains(string(raw), "volunteers.example") || strings.Contains(string(raw), "Alex") {
				t.Errorf("the relayed mail gives the triager away: %s", raw)
			}
			if o.From != league || o.InReplyTo != "<5b0c8f0e-1f1a-4d1b-9c55-0a1e3c9d7e21@hospital.example>" {
				t.Errorf("relayed mail from %s in reply to %s", o.From, o.InReplyTo)
			}
			confirmed(t, s, alex, "#reply")
		}},
		{"close with a reason", nil, "close.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if st := h.ticketNow(1).State; st != store.StateClosed {
				t.Errorf("state %s", st)
			}
			if !h.hasEvent(1, "state", "closed by "+alex+": same campaign as last week") {
				t.Errorf("events %+v", h.detail(1).Events)
			}
			confirmed(t, s, alex, "#close")
		}},
		{"reject", nil, "reject.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if st := h.ticketNow(1).State; st != store.StateRejected {
				t.Errorf("state %s", st)
			}
			confirmed(t, s, alex, "#reject")
		}},
		{"reopen a closed ticket", []string{"close.eml"}, "reopen.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if out.ticket != 1 || out.disposition != DispAppended {
				t.Errorf("outcome %+v: a triager's commands must act on the closed ticket itself", out)
			}
			if st := h.ticketNow(1).State; st != store.StateTriaged {
				t.Errorf("state %s", st)
			}
			if c := h.counts(); c.Tickets != 3 {
				t.Errorf("%d tickets", c.Tickets)
			}
			confirmed(t, s, alex, "#reopen")
		}},
		{"merge", nil, "merge.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			two, one := h.ticketNow(2), h.ticketNow(1)
			if two.State != store.StateClosed || h.work(2).MergedInto != 1 {
				t.Errorf("#2: %s, merged into %d", two.State, h.work(2).MergedInto)
			}
			if one.Severity != "medium" {
				t.Errorf("#1 severity %q: the command after #merge acts on the target", one.Severity)
			}
			if !h.hasEvent(2, "merged", "merged into #1") || !h.hasEvent(1, "merged", "#2 merged into this ticket") {
				t.Error("no merged events on both tickets")
			}
			if len(h.events(2, "opened")) != 1 {
				t.Error("#2 lost its history")
			}
			var fromClinic bool
			for _, e := range h.detail(1).Conversation {
				if e.In != nil && e.In.From == "it@clinic.example" {
					fromClinic = true
				}
			}
			if !fromClinic || len(h.detail(2).Indicators) != 0 {
				t.Errorf("#2's mails or indicators not moved to #1")
			}
			confirmed(t, s, alex, "#merge 1", "#severity medium")
			// The clinic answers its old acknowledgement: it lands on #1.
			late := h.takeRaw([]byte("From: Clinic IT <it@clinic.example>\r\nTo: "+
				replytoken.Address(league, h.g.Tokens().Issue(2, "it@clinic.example"))+
				"\r\nSubject: Re: [League #2] Received: VPN phishing here too\r\nMessage-ID: <late@clinic.example>\r\n\r\nAnother one today.\r\n"),
				Origin{Mailbox: "file:late"})
			if late.ticket != 1 || late.flagged {
				t.Errorf("reply to the merged ticket: %+v", late)
			}
		}},
		{"unknown command undoes the others", nil, "unknown.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			refused(t, s, alex, "#frobnicate now", "#frobnicate is not a command")
			if w := h.work(1); w.Assignee != "" {
				t.Errorf("#take before the bad line ran: assignee %q", w.Assignee)
			}
			tk := h.ticketNow(1)
			if tk.State != store.StateNew || tk.Flagged {
				t.Errorf("ticket changed: %+v", tk)
			}
			if len(h.events(1, "command")) > 0 || len(h.events(1, "command-failed")) != 1 {
				t.Errorf("events %+v", h.detail(1).Events)
			}
			if len(s) != 1 {
				t.Errorf("queued %q", s.kinds())
			}
		}},
		{"bad argument", nil, "badarg.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			refused(t, s, alex, "#severity extreme", `"extreme" is not a severity`)
			if tk := h.ticketNow(1); tk.Severity != "" || tk.State != store.StateNew {
				t.Errorf("ticket changed: %+v", tk)
			}
		}},

		// Authority (DESIGN.md invariant 4).
		{"triager's address without authentication", nil, "noauth.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			notRun(t, h, s, 1, "mx.league.example says no DKIM or SPF pass aligned with volunteers.example")
		}},
		{"forged header from another authserv-id", nil, "forged-other.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			notRun(t, h, s, 1, "no reply token of #1")
		}},
		{"a header below ours claims a pass", nil, "below-ours.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			notRun(t, h, s, 1, "dkim=fail header.d=volunteers.example")
		}},
		{"DKIM and SPF pass, not aligned: a stolen subject tag", nil, "stolen-tag.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			notRun(t, h, s, 1, "dkim=pass header.d=attacker.example, spf=pass smtp.mailfrom=mail.attacker.example")
		}},
		{"reply token issued to someone else", nil, "token-someone-else.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			notRun(t, h, s, 1, "no reply token of #1 issued to "+alex)
		}},
		{"reply token of another ticket acts on that ticket only", nil, "token-other-ticket.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if out.ticket != 2 {
				t.Errorf("threaded to #%d", out.ticket)
			}
			if st := h.ticketNow(1).State; st != store.StateNew {
				t.Errorf("#1, named by the subject tag, is %s", st)
			}
			if st := h.ticketNow(2).State; st != store.StateClosed {
				t.Errorf("#2, the token's, is %s", st)
			}
		}},

		// Commands in quoted text are never run.
		{"quoted commands, own words on top", nil, "quoted.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			nothingRun(t, h, out, s)
		}},
		{"quoted commands, nothing on top", nil, "quoted-gmail.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			nothingRun(t, h, out, s)
		}},
		{"commands on top run, those in the Outlook quote do not", nil, "quoted-outlook.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if tk := h.ticketNow(1); tk.State != store.StateTriaged {
				t.Errorf("state %s", tk.State)
			}
			if len(s.to(store.KindEscalation, "cert@cert-yy.example")) > 0 {
				t.Error("quoted #escalate ran")
			}
			confirmed(t, s, alex, "#verify")
			if d := data(t, s.one(t, store.KindCommandConfirm, alex)); strings.Contains(d.Command, "#close") {
				t.Errorf("confirmed %q", d.Command)
			}
		}},

		// Answers.
		{"a CERT's answer lands on its ticket", []string{"escalate-named.eml"}, "cert-answer.eml", func(t *testing.T, h *harness, out outcome, s sent) {
			if out.ticket != 1 || out.disposition != DispAnswer || out.flagged {
				t.Errorf("outcome %+v", out)
			}
			if !h.hasEvent(1, "answer", "CERT-XX <"+cert+"> (from desk@cert-xx.example) answered the escalation") {
				t.Errorf("events %+v", h.detail(1).Events)
			}
			for _, tr := range []string{alex, sam} {
				o := s.one(t, store.KindTriagerUpdate, tr)
				d := data(t, o)
				if o.Template != store.KindTriagerUpdate || !strings.Contains(d.Text, "hxxp://vpn-renew[.]evil[.]example/login") ||
					strings.Contains(d.Text, "http://vpn-renew") || !strings.Contains(d.Result, "answered") {
					t.Errorf("notice to %s: %+v %+v", tr, o, d)
				}
			}
			if len(s.to(store.KindAck, "desk@cert-xx.example")) > 0 {
				t.Error("the CERT got an acknowledgement")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newCommandHarness(t)
			for _, b := range tt.before {
				h.mail(b)
			}
			from := len(h.outbox())
			out := h.mail(tt.mail)
			tt.check(t, h, out, sent(h.outbox()[from:]))
		})
	}
}

// TestCommandsRunOnce: the same mail taken in again (another IMAP
// delivery, a second ingest) runs nothing again.
func TestCommandsRunOnce(t *testing.T) {
	h := newCommandHarness(t)
	h.mail("escalate-named.eml")
	before := h.counts()
	h.seq-- // the same origin too, as after a crash before the IMAP move
	h.mail("escalate-named.eml")
	h.mail("escalate-named.eml") // the same bytes from elsewhere
	if after := h.counts(); after.Outbox != before.Outbox || after.Events != before.Events {
		t.Errorf("counts before %+v, after %+v", before, after)
	}
}

// nothingRun checks that a reply with commands only in its quoted text
// changed nothing and is not flagged.
func nothingRun(t *testing.T, h *harness, out outcome, s sent) {
	t.Helper()
	if out.ticket != 1 || out.disposition != DispAppended || out.flagged {
		t.Errorf("outcome %+v", out)
	}
	tk := h.ticketNow(1)
	if tk.State != store.StateNew || tk.Flagged {
		t.Errorf("ticket %+v", tk)
	}
	if len(h.events(1, "command"))+len(h.events(1, "comment")) > 0 {
		t.Errorf("events %+v", h.detail(1).Events)
	}
	if len(s) != 0 {
		t.Errorf("queued %q", s.kinds())
	}
}
