package notify

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/templates"
)

func TestWrap(t *testing.T) {
	long := "hxxps://vpn-renew[.]evil[.]example/session/refresh?id=8841&token=aGVsbG8gd29ybGQgdGhpcyBpcyBsb25n"
	tests := []struct{ in, want string }{
		{"short line", "short line"},
		{strings.Repeat("word ", 20), "word word word word word word word word word word word word word word\nword word word word word word "[:0] + "word word word word word word word word word word word word word word\nword word word word word word"},
		{"see " + long + " now", "see\n" + long + "\nnow"},
		{"  url     " + long, "  url\n  " + long},
		{"> " + strings.Repeat("quoted text ", 8), "> quoted text quoted text quoted text quoted text quoted text quoted\n> text quoted text quoted text"},
		{"-- \nsig", "-- \nsig"},
	}
	for _, tt := range tests {
		if got := wrap(tt.in, 72); got != tt.want {
			t.Errorf("wrap(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// FuzzWrap: wrapping keeps every word, whole and in order, and makes no
// line longer than 72 columns but a line of one word.
func FuzzWrap(f *testing.F) {
	f.Add("a b c\n> quoted line that is long enough to wrap somewhere around here ok\n  - item")
	f.Fuzz(func(t *testing.T, in string) {
		if !utf8.ValidString(in) || strings.ContainsAny(in, "\r\t") {
			return
		}
		out := wrap(in, 72)
		if strings.Join(strings.Fields(strings.ReplaceAll(out, ">", " ")), " ") != strings.Join(strings.Fields(strings.ReplaceAll(in, ">", " ")), " ") {
			t.Fatalf("words changed:\n%q\n%q", in, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if utf8.RuneCountInString(l) > 72 && len(strings.Fields(strings.Trim(l, "> -*"))) > 1 && !strings.Contains(in, l) {
				t.Fatalf("line of %d columns: %q", utf8.RuneCountInString(l), l)
			}
		}
	})
}

// TestRenderedLines: an acknowledgement of a report with a long subject
// and a long URL comes out in lines of at most 72 columns, the URL whole
// on its own line; an escalation's files carry the ticket's number.
func TestRenderedLines(t *testing.T) {
	long := "hxxps://login-microsoftonline-secure[.]evil[.]example/common/oauth2/authorize?client_id=0000"
	v := View{Kind: store.KindAck, League: "report@league.example", LeagueName: "The League", Ticket: 12, Tag: "[League #12]",
		Subject: strings.Repeat("Urgent: suspicious invoice mail received by the accounts team ", 2), TLP: "amber",
		Indicators: []IndicatorView{{Type: "url", Defanged: long}}, IndicatorCount: 1}
	m := store.OutboxMail{Kind: store.KindAck, From: "report@league.example", Recipients: []string{"a@h.example"},
		MessageID: "<t12.x@league.example>", Subject: "[League #12] Received"}
	raw, err := Render(templates.Default(), m, v)
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(env.Text, "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == long {
			found = true
		}
		if utf8.RuneCountInString(l) > 72 && len(strings.Fields(l)) > 1 {
			t.Errorf("line of %d columns: %q", utf8.RuneCountInString(l), l)
		}
	}
	if !found {
		t.Errorf("URL not whole on its own line:\n%s", env.Text)
	}

	v.Kind, m.Kind, m.Template = store.KindEscalation, store.KindEscalation, ""
	v.All = []IndicatorView{{Type: "domain", Value: "evil.example", Defanged: "evil[.]example"}}
	raw, err = Render(templates.Default(), m, v)
	if err != nil {
		t.Fatal(err)
	}
	env, err = enmime.ReadEnvelope(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range env.Attachments {
		names = append(names, a.FileName)
	}
	if strings.Join(names, " ") != "league-12-indicators.csv league-12-indicators.stix.json" {
		t.Errorf("attachments %q", names)
	}
}

// TestWrapJoinsTheRest: what a wrapped line of prose leaves over goes on
// with the next line of its paragraph, not alone on a line; indented
// lines and list items are not joined.
func TestWrapJoinsTheRest(t *testing.T) {
	in := "the League, volunteers who defend hospitals against cyber attacks, escalates\nto you ticket [League #12].\n\n  url     a\n  domain  b"
	want := "the League, volunteers who defend hospitals against cyber attacks,\nescalates to you ticket [League #12].\n\n  url     a\n  domain  b"
	if got := wrap(in, 72); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	in = "- " + strings.Repeat("item words ", 8) + "\nnext line"
	if got := wrap(in, 72); !strings.HasSuffix(got, "\nnext line") {
		t.Errorf("list item joined:\n%s", got)
	}
}

// BenchmarkWrap: wrapping a notice-sized text (go test -bench Wrap ./notify).
func BenchmarkWrap(b *testing.B) {
	text := strings.Repeat("three of our nurses got a mail this morning asking them to \"renew\" their VPN access at hxxp://vpn-renew[.]evil[.]example/login, which is hosted on 198[.]51[.]100[.]23.\n\n  url     hxxp://vpn-renew[.]evil[.]example/login\n", 40)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		wrap(text, lineWidth)
	}
}
