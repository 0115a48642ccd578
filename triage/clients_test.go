package triage

import (
	"slices"
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/store"
)

// The tests of issue 20: mails as people's clients write them
// (testdata/commands/README.md names the client of each).

// TestFollowUpReachesTheTriagers: a hospital's reply to its
// acknowledgement, with new words and a CSV, reaches every triager (or
// the owner, once one took the ticket) with the words and the new
// indicators, and the hospital gets a short acknowledgement, threaded.
func TestFollowUpReachesTheTriagers(t *testing.T) {
	h := newCommandHarness(t)
	from := len(h.outbox())
	out := h.mail("followup-thunderbird.eml")
	if out.ticket != 1 || out.disposition != DispAppended || out.flagged {
		t.Fatalf("outcome %+v", out)
	}
	s := sent(h.outbox()[from:])
	for _, tr := range []string{alex, sam} {
		o := s.one(t, store.KindTriagerUpdate, tr)
		d := data(t, o)
		if !strings.Contains(d.Text, "a third workstation contacted the site this morning, from the radiology ward") {
			t.Errorf("update to %s lacks the reporter's words (flowed, joined): %q", tr, d.Text)
		}
		var vals []string
		for _, x := range d.Indicators {
			vals = append(vals, x.Value)
		}
		if !slices.Contains(vals, "http://cdn-vpn-renew.evil.example/assets/k.js") || !slices.Contains(vals, "45.133.1.77") ||
			slices.Contains(vals, "http://vpn-renew.evil.example/login") {
			t.Errorf("update to %s: new indicators %q", tr, vals)
		}
		if len(d.Attached) != 1 || d.Attached[0].Name != "proxy-log.csv" || len(d.Attached[0].SHA256) != 64 {
			t.Errorf("files %+v", d.Attached)
		}
		notice := s.to(store.KindTriagerNotice, tr)
		root := h.noticeID(1, tr)
		if len(notice) > 0 || o.InReplyTo != root || len(o.References) == 0 || o.References[0] != root {
			t.Errorf("update to %s not in the thread of its notice %s: %s %q", tr, root, o.InReplyTo, o.References)
		}
	}
	ack := s.one(t, store.KindAck, "alice@hospital.example")
	if ack.Template != "ack-update" || ack.State != store.OutboxQueued ||
		ack.InReplyTo != "<9a7d2f10-5c3b-4e8e-8f0a-1b2c3d4e5f60@hospital.example>" || !strings.Contains(ack.Subject, "Added: ") {
		t.Errorf("acknowledgement of the addition: %+v", ack)
	}
	if d := data(t, ack); d.IndicatorCount != 4 {
		t.Errorf("acknowledgement counts %d new indicators: %+v", d.IndicatorCount, d.Indicators)
	}
	if got := len(s); got != 3 {
		t.Errorf("%d mails: %q", got, s.kinds())
	}
}

// TestFollowUpGoesToTheOwner: once a triager took the ticket, only they
// hear of the reporter's addition.
func TestFollowUpGoesToTheOwner(t *testing.T) {
	h := newCommandHarness(t)
	h.mail("take.eml")
	owner := h.work(1).Assignee
	if owner == "" {
		t.Fatal("nobody took #1")
	}
	from := len(h.outbox())
	h.mail("followup-thunderbird.eml")
	s := sent(h.outbox()[from:])
	var to []string
	for _, o := range s.to(store.KindTriagerUpdate, owner) {
		to = append(to, o.Recipients...)
	}
	for _, o := range s {
		if o.Kind == store.KindTriagerUpdate && !slices.Contains(o.Recipients, owner) {
			t.Errorf("update to %q, not only the owner %s", o.Recipients, owner)
		}
	}
	if len(to) != 1 {
		t.Errorf("owner %s got %d updates: %q", owner, len(to), s.kinds())
	}
}

func (h *harness) noticeID(n int64, to string) string {
	for _, o := range h.outbox() {
		if o.Ticket == n && o.Kind == store.KindTriagerNotice && slices.Contains(o.Recipients, to) {
			return o.MessageID
		}
	}
	return ""
}

// TestGreetingFirst: "Hi team," above the commands runs them; a mistyped
// command below a greeting gets an error, not silence; a hospital's
// #hashtag lines below its words are words.
func TestGreetingFirst(t *testing.T) {
	t.Run("gmail", func(t *testing.T) {
		h := newCommandHarness(t)
		from := len(h.outbox())
		h.mail("greeting-gmail.eml")
		s := sent(h.outbox()[from:])
		confirmed(t, s, sam, "#severity high", "#tlp green")
		if tk := h.ticketNow(1); tk.Severity != "high" || tk.TLP != "green" || tk.State == store.StateClosed {
			t.Errorf("ticket %+v", tk)
		}
		c := s.one(t, store.KindCommandConfirm, sam)
		if root := h.noticeID(1, sam); len(c.References) == 0 || c.References[0] != root ||
			c.InReplyTo != "<CAF=greet1n7Tg2rV5w@mail.triagers.example>" {
			t.Errorf("confirmation not threaded to the notice %s: %s %q", root, c.InReplyTo, c.References)
		}
	})
	t.Run("outlook typo", func(t *testing.T) {
		h := newCommandHarness(t)
		from := len(h.outbox())
		h.mail("greeting-outlook-typo.eml")
		s := sent(h.outbox()[from:])
		refused(t, s, sam, "#sevrity critical", "#sevrity is not a command")
		if tk := h.ticketNow(1); tk.Severity != "" {
			t.Errorf("severity %q set by a mail with an unreadable command", tk.Severity)
		}
	})
	t.Run("a hospital's hashtags", func(t *testing.T) {
		h := newCommandHarness(t)
		from := len(h.outbox())
		out := h.mail("report-hashtags.eml")
		s := sent(h.outbox()[from:])
		if tk := h.ticketNow(2); tk.State != store.StateNew || tk.Flagged || out.flagged {
			t.Errorf("ticket %+v, outcome %+v", tk, out)
		}
		if len(h.events(2, "comment")) > 0 || len(s.to(store.KindCommandError, "it@clinic.example")) > 0 {
			t.Errorf("hashtags taken for commands: %q", s.kinds())
		}
		if d := data(t, s.one(t, store.KindTriagerUpdate, alex)); !strings.Contains(d.Text, "#vpnphish") {
			t.Errorf("update text %q", d.Text)
		}
	})
}

// TestNoticeCarriesTheReport: the triager's notice quotes what the
// reporter wrote, defanged, above their signature.
func TestNoticeCarriesTheReport(t *testing.T) {
	h := newCommandHarness(t)
	var d store.MailData
	for _, o := range h.outbox() {
		if o.Ticket == 1 && o.Kind == store.KindTriagerNotice {
			d = data(t, o)
		}
	}
	for _, want := range []string{"Two of them entered their password", "hxxp://vpn-renew[.]evil[.]example/login"} {
		if !strings.Contains(d.Words, want) {
			t.Errorf("notice words lack %q: %q", want, d.Words)
		}
	}
	if strings.Contains(d.Words, "http://vpn-renew") || strings.Contains(d.Words, "IT security, St Mary") {
		t.Errorf("notice words: %q", d.Words)
	}
	long := strings.Repeat("word ", 1000)
	if got := wordsOf(long, nil, maxWords); len([]rune(got)) > maxWords+10 || !strings.HasSuffix(got, "[...]") {
		t.Errorf("cut to %d characters", len([]rune(got)))
	}
}

// TestVerifySaysWhatTheFeedsDo: #verify on a TLP:AMBER ticket says that
// a green feed will not publish it.
func TestVerifySaysWhatTheFeedsDo(t *testing.T) {
	h := newCommandHarness(t)
	from := len(h.outbox())
	h.mail("verify.eml")
	d := data(t, sent(h.outbox()[from:]).one(t, store.KindCommandConfirm, alex))
	if !strings.Contains(d.Result, "not published while the ticket is TLP:AMBER") || !strings.Contains(d.Result, "#tlp green to publish") ||
		strings.Contains(d.Result, "the feeds will publish") {
		t.Errorf("result %q", d.Result)
	}
}

// TestSharedDomainAnswer: three institutions share a domain; a mail from
// a fourth address there is "someone at" the domain, never one of them,
// and it makes one triagers' update however much it holds.
func TestSharedDomainAnswer(t *testing.T) {
	h := newCommandHarness(t)
	for _, c := range []store.Contact{
		{Kind: "institution", Name: "CHU Exemple Nord", Email: "soc-nord@chu-exemple.fr", Country: "FR", Region: "Ouest"},
		{Kind: "institution", Name: "CHU Exemple Sud", Email: "soc-sud@chu-exemple.fr", Country: "FR", Region: "Ouest"},
		{Kind: "institution", Name: "CHU Exemple Est", Email: "soc-est@chu-exemple.fr", Country: "FR", Region: "Ouest"},
	} {
		if _, err := h.st.PutContact(h.ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	err := h.st.Update(h.ctx, func(tx *store.Tx) error {
		return tx.AddParticipant(h.ctx, 1, "soc-nord@chu-exemple.fr", "institution", h.now)
	})
	if err != nil {
		t.Fatal(err)
	}
	from := len(h.outbox())
	out := h.mail("shared-domain-answer.eml")
	if out.disposition != DispAnswer {
		t.Fatalf("outcome %+v", out)
	}
	if !h.hasEvent(1, "answer", "someone at chu-exemple.fr (rssi@chu-exemple.fr) answered the alert") ||
		h.hasEvent(1, "answer", "CHU Exemple Nord") {
		t.Errorf("events %+v", h.detail(1).Events)
	}
	s := sent(h.outbox()[from:])
	u := s.one(t, store.KindTriagerUpdate, alex) // one, not one per reason
	if root := h.noticeID(1, alex); u.InReplyTo != root || len(u.References) == 0 || u.References[0] != root {
		t.Errorf("answer update not in the thread of the notice %s: %s %q", root, u.InReplyTo, u.References)
	}
	if d := data(t, u); !strings.Contains(d.Result, "answered the alert") || !strings.Contains(d.Result, "not run") {
		t.Errorf("update %q / %q", d.Command, d.Result)
	}
}

// TestRecipientLanguage: a contact's lang goes with every mail to it.
func TestRecipientLanguage(t *testing.T) {
	h := newCommandHarness(t)
	if err := h.st.Update(h.ctx, func(tx *store.Tx) error { return tx.SetLang(h.ctx, "alice@hospital.example", "fr") }); err != nil {
		t.Fatal(err)
	}
	from := len(h.outbox())
	h.mail("followup-thunderbird.eml")
	s := sent(h.outbox()[from:])
	ack := s.one(t, store.KindAck, "alice@hospital.example")
	if d := data(t, ack); d.Lang != "fr" || !strings.HasPrefix(ack.Subject, "[League #1] Ajouté : ") {
		t.Errorf("acknowledgement in %q: %q", d.Lang, ack.Subject)
	}
	if d := data(t, s.one(t, store.KindTriagerUpdate, alex)); d.Lang != "" {
		t.Errorf("update to a triager without lang in %q", d.Lang)
	}
}

// TestEscalationQuotesTheReport: the escalation carries the reporter's
// words and files unless the triager says quote=0.
func TestEscalationQuotesTheReport(t *testing.T) {
	for _, tt := range []struct {
		mail  string
		words bool
	}{{"escalate-named.eml", true}, {"escalate-quote0.eml", false}} {
		h := newCommandHarness(t)
		from := len(h.outbox())
		h.mail(tt.mail)
		d := data(t, sent(h.outbox()[from:]).one(t, store.KindEscalation, cert))
		if got := strings.Contains(d.Words, "Two of them entered their password"); got != tt.words {
			t.Errorf("%s: words %q", tt.mail, d.Words)
		}
		if strings.Contains(d.Words, "http://") {
			t.Errorf("%s: live URL in %q", tt.mail, d.Words)
		}
	}
}
