package templates

import (
	"bytes"
	"errors"
	"github.com/hospital-league/leaguemail/store"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type ind struct {
	Type, Defanged string
	Pending        bool
	From           []string
}

type corr struct {
	Reports    int
	Tickets    []int64
	FirstSeen  time.Time
	Indicators []struct {
		Type, Defanged string
		Tickets        []int64
		Others         int
	}
}

// view mirrors the fields notify.View gives templates; notify's own tests
// render every kind with the real type.
type view struct {
	League, LeagueName, Tag, Subject, Reporter, ReporterName   string
	Institution, Country, Severity, TLP, Text, Command, Result string
	RecipientName, Area                                        string
	KeyURL, KeyFingerprint                                     string
	Indicators                                                 []ind
	IndicatorCount, More, Attachments                          int
	Correlation                                                *corr
	Follows                                                    int64
	Errors                                                     []string
	Created                                                    time.Time
	Unauthenticated                                            string
	Pending                                                    int
	Digest                                                     []store.DigestEntry
	Verdict                                                    string
	Actions                                                    []store.MailAction
	List                                                       *store.MailList
	Lookalike                                                  *struct {
		Domain, Imitates, How string
		FirstSeen             time.Time
	}
	Words  string
	Ticket int64
	Files  []store.MailAttachment
}

func TestEveryKindRenders(t *testing.T) {
	s := Default()
	v := view{League: "report@league.example", LeagueName: "The League", Tag: "[League #7]", Subject: "<b>phish</b>",
		Reporter: "soc@hospital.example", TLP: "amber", Indicators: []ind{{Type: "url", Defanged: "hxxp://evil[.]example/x"}},
		IndicatorCount: 1, Text: "note"}
	for _, kind := range []string{"ack", "ack-update", "triager-notice", "triager-update", "triager-digest", "escalation", "alert", "reply", "command-confirm", "command-error", "encrypted-waiting", "ack-encrypted"} {
		var b bytes.Buffer
		if err := s.Text(&b, kind, v); err != nil {
			t.Errorf("%s: %v", kind, err)
			continue
		}
		if !strings.Contains(b.String(), "hxxp://evil[.]example/x") && kind != "reply" && kind != "triager-digest" && !strings.HasPrefix(kind, "command") && kind != "encrypted-waiting" && kind != "ack-encrypted" {
			t.Errorf("%s: no defanged indicator in\n%s", kind, b.String())
		}
		var h bytes.Buffer
		ok, err := s.HTML(&h, kind, v)
		if err != nil {
			t.Errorf("%s.html: %v", kind, err)
		}
		if ok && strings.Contains(h.String(), "<b>phish</b>") {
			t.Errorf("%s.html: subject not escaped", kind)
		}
	}
	if err := s.Text(&bytes.Buffer{}, "nope", v); !errors.Is(err, ErrNoTemplate) {
		t.Errorf("unknown kind: %v", err)
	}
}

// TestNoticeCountsTicketsNotNamed: a correlation names the first tickets
// only (store.MaxNamed); the notice still says how many there are, in all
// and for each indicator, in both languages.
func TestNoticeCountsTicketsNotNamed(t *testing.T) {
	first := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	c := &corr{Reports: 25, Tickets: first, FirstSeen: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	c.Indicators = append(c.Indicators, struct {
		Type, Defanged string
		Tickets        []int64
		Others         int
	}{"domain", "campaign[.]example", first, 12}, struct {
		Type, Defanged string
		Tickets        []int64
		Others         int
	}{"ipv4", "203.0.113[.]77", []int64{4, 9}, 2})
	v := view{League: "report@league.example", Tag: "[League #27]", Subject: "phish", Reporter: "soc@hospital.example",
		TLP: "amber", Correlation: c}
	named := "#1, #2, #3, #4, #5, #6, #7, #8, #9, #10"
	for _, tc := range []struct {
		kind string
		want []string
	}{
		{"triager-notice", []string{"Seen in 25 other tickets: " + named + " and 15 more (first on 2026-11-20)",
			"campaign[.]example  " + named + " and 2 more\n", "203.0.113[.]77  #4, #9\n"}},
		{"triager-notice.fr", []string{"Vu dans 25 autres tickets : " + named + " and 15 more", "campaign[.]example  " + named + " and 2 more\n"}},
	} {
		var b bytes.Buffer
		if err := Default().Text(&b, tc.kind, v); err != nil {
			t.Fatalf("%s: %v", tc.kind, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no %q in\n%s", tc.kind, w, b.String())
			}
		}
	}
}

func TestOverride(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ack.txt"), []byte("custom {{.Tag}}"), 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.Text(&b, "ack", view{Tag: "[League #1]"}); err != nil || b.String() != "custom [League #1]" {
		t.Errorf("override: %q, %v", b.String(), err)
	}
	if !s.HasHTML("ack") || !s.Has("escalation") {
		t.Error("embedded templates lost beside the override")
	}

	for name, body := range map[string]string{
		"ack.txt":  "{{.Tag",          // syntax error
		"ack.tmpl": "x",               // misnamed
		"new.html": "<p>{{.Tag}}</p>", // HTML without text
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
		if _, err := Load(dir); err == nil {
			t.Errorf("%s %q: loaded", name, body)
		}
	}
}

// A recipient without a key gets no detail: not the subject, not one
// indicator, not who reported.
func TestEncryptedWaitingHoldsNoDetail(t *testing.T) {
	s := Default()
	v := view{League: "report@league.example", LeagueName: "The League", Tag: "[League #7]", Subject: "phishing at St. Mary",
		Reporter: "soc@hospital.example", Institution: "St. Mary", TLP: "red", Indicators: []ind{{Type: "url", Defanged: "hxxp://evil[.]example/x"}},
		IndicatorCount: 1, Text: "the triager's note", Result: "no key for cert@cert.example", KeyURL: "https://league.example/key.asc"}
	var b bytes.Buffer
	if err := s.Text(&b, "encrypted-waiting", v); err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"St. Mary", "evil", "soc@hospital", "triager's note"} {
		if strings.Contains(b.String(), leak) {
			t.Errorf("the mail shows %q:\n%s", leak, b.String())
		}
	}
	for _, want := range []string{"[League #7]", "TLP:RED", "public key", "https://league.example/key.asc"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the mail lacks %q:\n%s", want, b.String())
		}
	}
}

// frenchKinds are the templates shipped in French.
var frenchKinds = []string{"ack", "ack-update", "alert", "command-confirm", "command-error", "escalation", "reply",
	"triager-digest", "triager-notice", "triager-update"}

// TestFrench: every kind of frenchKinds has a French template, which renders; a
// language without templates falls back to English, a regional one to
// its language.
func TestFrench(t *testing.T) {
	s := Default()
	v := view{League: "report@league.example", LeagueName: "La Ligue", Tag: "[League #7]", Subject: "hameçonnage",
		Reporter: "soc@chu.example", TLP: "amber", Indicators: []ind{{Type: "url", Defanged: "hxxp://evil[.]example/x"}},
		IndicatorCount: 1, Text: "note", Created: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		Digest: []store.DigestEntry{{Ticket: 7, Subject: "x", What: "new report"}}}
	// The kinds written in French so far; the others fall back to English.
	for _, kind := range frenchKinds {
		fr := s.Lang(kind, "fr-FR")
		if fr != kind+".fr" {
			t.Errorf("%s has no French template (got %s)", kind, fr)
			continue
		}
		var b bytes.Buffer
		if err := s.Text(&b, fr, v); err != nil {
			t.Errorf("%s: %v", fr, err)
		}
		if strings.Contains(b.String(), "Volunteers defending") {
			t.Errorf("%s signs in English:\n%s", fr, b.String())
		}
	}
	if got := s.Lang("ack", "de"); got != "ack" {
		t.Errorf("German falls back to %q", got)
	}
	var b bytes.Buffer
	if err := s.Text(&b, "escalation.fr", v); err != nil || !strings.Contains(b.String(), "Signalé le :   23 novembre 2026") {
		t.Errorf("escalation.fr: %v\n%s", err, b.String())
	}
}
