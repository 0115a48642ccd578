package notify

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/templates"
)

// TestFrenchAck: a hospital whose contact says lang=fr gets its
// acknowledgement in French, text only (the HTML part, English, is left
// out rather than contradicting it); German, without templates, gets
// English.
func TestFrenchAck(t *testing.T) {
	m := store.OutboxMail{Kind: store.KindAck, From: "report@league.example", Recipients: []string{"soc@chu.example"},
		MessageID: "<t3.x@league.example>", Subject: "[League #3] Received: hameçonnage"}
	for _, tt := range []struct{ lang, want, not string }{
		{"fr", "merci pour votre signalement « hameçonnage »", "thank you for your report"},
		{"de", "thank you for your report", "merci"},
	} {
		v := View{Kind: store.KindAck, League: "report@league.example", LeagueName: "La Ligue", Ticket: 3, Tag: "[League #3]",
			Subject: "hameçonnage", TLP: "amber", Lang: tt.lang}
		raw, err := Render(templates.Default(), m, v)
		if err != nil {
			t.Fatal(err)
		}
		env, err := enmime.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(env.Text, tt.want) || strings.Contains(env.Text, tt.not) {
			t.Errorf("%s: text\n%s", tt.lang, env.Text)
		}
		if tt.lang == "fr" && env.HTML != "" {
			t.Errorf("fr: an HTML part: %s", env.HTML)
		}
	}
}
