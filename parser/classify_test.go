package parser

import (
	"slices"
	"testing"
)

func TestParseReplyCommands(t *testing.T) {
	m := parseFile(t, "triager-reply-commands.eml")
	if m.Kind != KindReply {
		t.Fatalf("kind = %q, want reply", m.Kind)
	}
	if m.TicketRef == nil || *m.TicketRef != 42 {
		t.Errorf("ticket_ref = %v, want 42", m.TicketRef)
	}
	if !slices.Equal(m.Tokens, []string{"t42-3f9a0c1d2e"}) {
		t.Errorf("tokens = %q", m.Tokens)
	}
	if m.InReplyTo != "t42.notice.1763700000@league.example" || len(m.References) != 2 {
		t.Errorf("threading: in-reply-to %q references %q", m.InReplyTo, m.References)
	}
	var names []string
	for _, c := range m.Commands {
		names = append(names, c.Name)
	}
	// "#close" in the quoted text below must never be read as a command.
	if !slices.Equal(names, []string{"verify", "severity", "escalate", "reply"}) {
		t.Fatalf("commands = %q", names)
	}
	if got := m.Commands[2].Args; !slices.Equal(got, []string{"CERT-FR"}) {
		t.Errorf("escalate args = %q", got)
	}
	if got := m.Commands[0].Line; got != "#VERIFY" {
		t.Errorf("line = %q, want the line as written", got)
	}
	reply := m.Commands[3].Text
	if reply != "Thank you, we confirmed the campaign and blocked\nmailbox-quota-alert[.]example[.]com for all members." {
		t.Errorf("reply text = %q", reply)
	}
	if len(m.Auth) != 1 {
		t.Errorf("authentication-results = %q", m.Auth)
	}
	// The quoted ack's indicators are the ticket's already.
	if hasValue(m.Indicators, "https://login.mailbox-quota-alert.example.com/owa/verify.php") {
		t.Error("an indicator of the quoted text was taken")
	}
}

func TestParseAutoReplyAndBounce(t *testing.T) {
	ooo := parseFile(t, "out-of-office.eml")
	if ooo.Kind != KindAutoReply || ooo.NoAnswer == "" {
		t.Errorf("out of office: kind %q no_answer %q", ooo.Kind, ooo.NoAnswer)
	}
	b := parseFile(t, "bounce-dsn.eml")
	if b.Kind != KindBounce || b.Bounce == nil {
		t.Fatalf("bounce: kind %q bounce %+v", b.Kind, b.Bounce)
	}
	if b.Bounce.Status != "5.1.1" || b.Bounce.Action != "failed" ||
		b.Bounce.OriginalMessageID != "t51.ack.1763802000@league.example" ||
		!slices.Equal(b.Bounce.Recipients, []string{"ward9@gone-hospital.example.com"}) {
		t.Errorf("bounce = %+v", b.Bounce)
	}
	if b.NoAnswer == "" {
		t.Error("a bounce must never be answered")
	}
}

func TestClassifyHeaders(t *testing.T) {
	base := "From: a@hospital.example.com\r\nTo: report@league.example\r\nMessage-ID: <x@hospital.example.com>\r\n"
	tests := []struct {
		name, header, subject string
		kind                  Kind
		noAnswer              bool
	}{
		{"plain report", "", "Phishing", KindReport, false},
		{"auto-submitted no", "Auto-Submitted: no\r\n", "Phishing", KindReport, false},
		{"auto-generated", "Auto-Submitted: auto-generated\r\n", "Notice", KindAutoReply, true},
		{"x-autoreply", "X-Autoreply: yes\r\n", "Re: hi", KindAutoReply, false},
		{"ooo subject alone is a report", "", "Out of Office: back Monday", KindReport, false},
		{"ooo subject from exchange", "X-Auto-Response-Suppress: All\r\n", "Out of Office: back Monday", KindAutoReply, false},
		{"french ooo from exchange", "X-Auto-Response-Suppress: DR, RN, NRN, OOF, AutoReply\r\n", "Réponse automatique : absent", KindAutoReply, false},
		{"list", "List-Id: <sec.lists.example.com>\r\n", "Phish seen", KindReport, true},
		{"bulk", "Precedence: bulk\r\n", "Newsletter", KindReport, true},
		{"null sender", "Return-Path: <>\r\n", "Phishing", KindReport, true},
		{"reply by tag", "", "RE: [League #7] ack", KindReply, false},
		{"reply by tag, lower case", "", "re: [league #7] ack", KindReply, false},
		{"reply by reference", "In-Reply-To: <t7.ack.1@league.example>\r\n", "Re: something", KindReply, false},
		{"reference to someone else", "In-Reply-To: <abc@elsewhere.example.com>\r\n", "Re: something", KindReport, false},
		{"reply by token", "Cc: report+t7-abc@league.example\r\n", "more info", KindReply, false},
		{"failed recipients", "X-Failed-Recipients: x@y.example.com\r\n", "Mail failure", KindBounce, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := base + tt.header + "Subject: " + tt.subject + "\r\n\r\nbody\r\n"
			m := Parse([]byte(raw), testOpts)
			if m.Kind != tt.kind {
				t.Errorf("kind = %q, want %q", m.Kind, tt.kind)
			}
			if (m.NoAnswer != "") != tt.noAnswer {
				t.Errorf("no_answer = %q, want set: %v", m.NoAnswer, tt.noAnswer)
			}
		})
	}
}

func TestParseOwnAddressNeverAnswered(t *testing.T) {
	m := Parse([]byte("From: League <report@league.example>\r\nSubject: x\r\n\r\nbody\r\n"), testOpts)
	if m.NoAnswer == "" {
		t.Error("a mail from our own address must never be answered")
	}
}
