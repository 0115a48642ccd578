package parser

import (
	"strings"
	"testing"
)

// replyMail is a triager's reply to the league, as a client writes it.
func replyMail(body string) []byte {
	return []byte("From: Alex <alex@volunteers.example>\r\nTo: report+t7-abcdefghijkl@league.example\r\n" +
		"Subject: Re: [League #7] phishing\r\nMessage-ID: <r@volunteers.example>\r\n" +
		"In-Reply-To: <t7.x@league.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(body, "\n", "\r\n"))
}

// TestReplyRelaysOnlyTheTop: #reply relays the lines below it to the
// first quote, attribution line, Outlook header block or signature, and
// nothing of what follows (DESIGN.md invariant 8): a triager's notes about
// other tickets sit there.
func TestReplyRelaysOnlyTheTop(t *testing.T) {
	const relayed = "Thank you, the site is blocked.\nReset the password of the person who clicked."
	secret := "#7 is the Charité case, TLP:RED"
	for _, tt := range []struct{ name, below string }{
		{"quote then own text", "> your mail\n" + secret},
		{"english gmail", "On Mon, 3 Mar 2026 at 10:12, League <report+t7-abcdefghijkl@league.example> wrote:\n> x\n" + secret},
		{"english outlook", "From: League <report@league.example>\nSent: Monday, 3 March 2026 10:12\nTo: Alex\n" + secret},
		{"french outlook", "De : League <report@league.example>\nÀ : Alex <alex@volunteers.example>\nObjet : [League #7]\n" + secret},
		{"french outlook, no-break spaces", "De\u00a0: League <report@league.example>\nEnvoyé\u00a0: lundi 3 mars 2026 10:12\n" + secret},
		{"french gmail", "Le lun. 3 mars 2026 à 10:12, League <report@league.example> a écrit :\n" + secret},
		{"french gmail wrapped", "Le lun. 3 mars 2026 à 10:12, League <\nreport@league.example> a écrit :\n" + secret},
		{"german gmail", "Am Mo., 3. März 2026 um 10:12 Uhr schrieb League <report@league.example>:\n" + secret},
		{"german thunderbird", "Am 03.03.26 um 10:12 schrieb League:\n" + secret},
		{"german outlook", "Von: League <report@league.example>\nGesendet: Montag, 3. März 2026 10:12\n" + secret},
		{"spanish gmail", "El lun, 3 mar 2026 a las 10:12, League (<report@league.example>) escribió:\n" + secret},
		{"spanish outlook", "De: League <report@league.example>\nEnviado el: lunes, 3 de marzo de 2026 10:12\n" + secret},
		{"italian gmail", "Il giorno lun 3 mar 2026 alle ore 10:12 League <report@league.example> ha scritto:\n" + secret},
		{"italian outlook", "Da: League <report@league.example>\nInviato: lunedì 3 marzo 2026 10:12\n" + secret},
		{"dutch gmail", "Op ma 3 mrt 2026 om 10:12 schreef League <report@league.example>:\n" + secret},
		{"dutch outlook", "Van: League <report@league.example>\nVerzonden: maandag 3 maart 2026 10:12\n" + secret},
		{"portuguese gmail", "Em seg., 3 de mar. de 2026 às 10:12, League <report@league.example> escreveu:\n" + secret},
		{"portuguese outlook", "De: League <report@league.example>\nEnviada em: segunda-feira, 3 de março de 2026 10:12\n" + secret},
		{"apple mail", "On 3 Mar 2026, at 10:12, League <report@league.example> wrote:\n" + secret},
		{"signature", "-- \nAlex, triager\n" + secret},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse(replyMail("#reply\n"+relayed+"\n\n"+tt.below+"\n"), Options{Address: "report@league.example", Tag: "League"})
			if len(m.Commands) != 1 || m.Commands[0].Name != "reply" {
				t.Fatalf("commands = %+v", m.Commands)
			}
			if got := m.Commands[0].Text; got != relayed {
				t.Errorf("relayed %q, want %q", got, relayed)
			}
		})
	}
}

// TestNoteStopsAtTheQuote: the note below the commands, which goes to the
// CERT with an escalation, ends where the reply's own top ends.
func TestNoteStopsAtTheQuote(t *testing.T) {
	m := Parse(replyMail("#verify\n#escalate\nThree hospitals of the region since Monday.\n\n"+
		"De : League <report@league.example>\nÀ : Alex\n\nInternal: the reporter is the Charité, TLP:RED\n"), Options{Address: "report@league.example"})
	if m.Note != "Three hospitals of the region since Monday." {
		t.Errorf("note = %q", m.Note)
	}
}

// TestFromProblems: a From that names no one sender is said so, and no
// hidden address becomes the sender (issue 12, point 9).
func TestFromProblems(t *testing.T) {
	for _, tt := range []struct {
		name, header, from, problem string
	}{
		{"plain", "From: Alex <alex@volunteers.example>\r\n", "alex@volunteers.example", ""},
		{"encoded name", "From: =?utf-8?q?Al=C3=A9x?= <alex@volunteers.example>\r\n", "alex@volunteers.example", ""},
		{"two from fields", "From: Alex <alex@volunteers.example>\r\nFrom: Eve <eve@evil.example>\r\n", "alex@volunteers.example", "2 From fields"},
		{"two addresses", "From: Alex <alex@volunteers.example>, Eve <eve@evil.example>\r\n", "alex@volunteers.example", "2 addresses in From"},
		{"encoded-word hides the address", "From: =?utf-8?q?Alex_=3Calex=40volunteers=2Eexample=3E?=\r\n", "", "encoded-word in From hides an address"},
		{"encoded-word beside a real address", "From: =?utf-8?q?alex=40volunteers=2Eexample?= <eve@evil.example>\r\n", "eve@evil.example", "encoded-word in From hides an address"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.header + "To: report@league.example\r\nSubject: x\r\nMessage-ID: <x@y>\r\n\r\nhello\r\n"
			m := Parse([]byte(raw), Options{Address: "report@league.example"})
			if m.From != tt.from || !strings.Contains(m.FromProblem, tt.problem) || (tt.problem == "") != (m.FromProblem == "") {
				t.Errorf("from %q problem %q; want %q and %q", m.From, m.FromProblem, tt.from, tt.problem)
			}
		})
	}
}

// TestSubjectAloneIsNoAutoReply: real reports whose subject reads like an
// out-of-office are reports (issue 12, point 10); the subject counts only
// beside a header that marks automatic mail.
func TestSubjectAloneIsNoAutoReply(t *testing.T) {
	for _, tt := range []struct {
		subject, header string
		kind            Kind
	}{
		{"Absence of MFA let attackers in - ransomware", "", KindReport},
		{"Automatic reply phishing campaign against us", "", KindReport},
		{"Out of office: back on Monday", "", KindReport},
		{"Automatic reply: Out of office", "X-Auto-Response-Suppress: All\r\n", KindAutoReply},
		{"Re: your report", "Auto-Submitted: auto-replied\r\n", KindAutoReply},
		{"Vacation", "X-Autoreply: yes\r\n", KindAutoReply},
	} {
		raw := "From: a@hospital.example\r\nTo: report@league.example\r\nSubject: " + tt.subject +
			"\r\nMessage-ID: <x@y>\r\n" + tt.header + "\r\nWe were hit at https://evil.example/x\r\n"
		if m := Parse([]byte(raw), Options{Address: "report@league.example"}); m.Kind != tt.kind {
			t.Errorf("%q with %q: kind %s, want %s", tt.subject, tt.header, m.Kind, tt.kind)
		}
	}
}
