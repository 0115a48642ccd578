package parser

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var testOpts = Options{Address: "report@league.example", Domains: []string{"league.example"}}

func parseFile(t testing.TB, name string) *Message {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(raw, testOpts)
}

// has reports whether m holds the indicator, in the given layer when one
// is given.
func has(m *Message, typ, value string, layer Layer) bool {
	for _, ind := range m.Indicators {
		if ind.Type == typ && ind.Value == value && (layer == "" || slices.Contains(ind.Layers, layer)) {
			return true
		}
	}
	return false
}

func hasValue(list []Indicator, value string) bool {
	for _, ind := range list {
		if ind.Value == value {
			return true
		}
	}
	return false
}

type want struct {
	typ, value string
	layer      Layer
	source     string // a source it must list, when set
}

func TestParseReports(t *testing.T) {
	tests := []struct {
		file        string
		kind        Kind
		from        string
		subject     string // a part of the decoded subject
		text        string // a part of the reporter's own text
		indicators  []want
		absent      []string // values that must not be indicators
		context     []string // values recorded as context only
		attachments []string // file names, in order
		evidence    int      // forwarded mails found
		deceptive   bool
	}{
		{
			file: "gmail-inline-forward.eml", kind: KindReport,
			from: "it-security@stmarys-hospital.example.org", subject: "mailbox is almost full",
			text: "Two clicked",
			indicators: []want{
				// Soft line breaks of quoted-printable split this URL in the text part.
				{"url", "https://login.mailbox-quota-alert.example.com/owa/verify.php?user=nurse.station4&ref=8812", LayerEvidence, "html:href"},
				{"domain", "login.mailbox-quota-alert.example.com", LayerEvidence, ""},
				{"email", "admin@mailbox-quota-alert.example.com", LayerEvidence, "header:from"},
			},
			absent:    []string{"stmarys-hospital.example.org", "league.example", "209.85.221.41"},
			evidence:  1,
			deceptive: true,
		},
		{
			file: "outlook-attached-phish.eml", kind: KindReport,
			from: "m.kowalski@klinikum-nord.example.de", subject: "Offene Rechnung", text: "verdächtige Mail",
			indicators: []want{
				{"ipv4", "91.92.240.23", LayerEvidence, "header:received"},
				{"domain", "vps-4471.invoice-portal.example.net", LayerEvidence, "header:received"},
				{"email", "payments.dept2026@freemail.example.net", LayerEvidence, "header:reply-to"},
				{"email", "bounce-7781@invoice-portal.example.net", LayerEvidence, "header:return-path"},
				{"ipv4", "185.117.73.77", LayerEvidence, "header:x-originating-ip"},
				{"url", "https://collect.invoice-portal.example.net/post.php", LayerEvidence, "html:action"},
				{"url", "https://cdn.lieferant-zahlung.example.com/a.js", LayerEvidence, "html:src"},
			},
			// Internal hops of the hospital's own relay are no indicators,
			// nor is the relay that handed the report to us.
			absent:      []string{"10.20.0.5", "10.20.0.12", "klinikum-nord.example.de", "40.107.22.101"},
			attachments: []string{"forwarded.eml", "Rechnung_2026-4471.html"},
			evidence:    1,
		},
		{
			file: "eml-as-octet-stream.eml", kind: KindReport,
			from: "s.okafor@regional-care.example.com", text: "ward 7",
			indicators: []want{
				// The Safe Links wrapper is unwrapped to its real target.
				{"url", "https://pay.customs-fee.example.net/dhl?id=88231", LayerEvidence, "html:href"},
				{"ipv4", "45.133.1.200", LayerEvidence, "header:received"},
				{"email", "noreply@dhl-parcel-tracking.example.com", LayerEvidence, "header:from"},
			},
			absent:      []string{"nam12.safelinks.protection.outlook.com"},
			attachments: []string{"Your parcel could not be delivered.eml"},
			evidence:    1,
		},
		{
			file: "csv-list-signature.eml", kind: KindReport,
			from: "jmartinez@hospital-sur.example.es", subject: "Lista de dominios sospechosos – campaña",
			indicators: []want{
				{"domain", "portal-personal-hsur.example.com", LayerReport, "attachment:dominios.csv"},
				{"url", "https://sso-hsur.example.net/login", LayerReport, "attachment:dominios.csv"},
				{"ipv4", "45.33.32.156", LayerReport, "attachment:dominios.csv"},
			},
			absent:      []string{"https://linkedin.com/in/jose-martinez-sec", "hospital-sur.example.es"},
			context:     []string{"https://linkedin.com/in/jose-martinez-sec", "hospital-sur.example.es"},
			attachments: []string{"dominios.csv"},
		},
		{
			file: "defanged-freetext.eml", kind: KindReport,
			from: "soc@nordic-health.example.se", subject: "Ransomware försök mot vårt sjukhus", text: "Försök att logga in från",
			indicators: []want{
				{"url", "http://update-check.example.net/kb5031/setup.exe", LayerReport, "text"},
				{"ipv4", "185.220.101.34", LayerReport, ""},
				{"ipv6", "2a0b:4d07:ffff::34", LayerReport, ""},
				{"url", "https://files.transfer-drop.example.org/d/8812", LayerReport, ""},
				{"sha256", "9f86d081884c7d659a2feae0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", LayerReport, ""},
				{"md5", "d41d8cd98f00b204e9800998ecf8427e", LayerReport, ""},
				{"cve", "CVE-2026-12345", LayerReport, ""},
				{"cve", "CVE-2023-4966", LayerReport, ""},
				{"email", "ops-team@bullet-proof.example.com", LayerReport, ""},
			},
			absent: []string{"10.1.2.3", "urldefense.com"},
		},
		{
			file: "outlook-own-text-block.eml", kind: KindReport, text: "Reported by our payroll team",
			indicators: []want{
				{"url", "https://hr-update-portal.example.com/confirm?id=55", LayerEvidence, "text"},
				{"email", "payroll@hr-update-portal.example.com", LayerEvidence, "header:from"},
			},
			evidence: 1,
		},
		{
			file: "iso-2022-jp.eml", kind: KindReport, subject: "偽のログインページ", text: "病院の職員",
			indicators: []want{{"url", "https://login-kyoto-med.example.jp/auth", LayerReport, "text"}},
		},
		{
			file: "koi8-r.eml", kind: KindReport, subject: "Фишинг", text: "Фишинг: вход",
			indicators: []want{
				{"url", "http://mail-minzdrav.example.ru/owa", LayerReport, "text"},
				{"ipv4", "185.117.73.5", LayerReport, "text"},
			},
		},
		{
			file: "gb2312.eml", kind: KindReport, subject: "钓鱼邮件", text: "请勿点击",
			indicators: []want{{"url", "https://yiyuan-login.example.cn/sso", LayerReport, "text"}},
		},
		{
			file: "missing-charset.eml", kind: KindReport, text: "Blöcked",
			indicators: []want{{"domain", "xn--caf-menu-d1a.example.com", LayerReport, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if m.Kind != tt.kind {
				t.Errorf("kind = %q, want %q (%s)", m.Kind, tt.kind, m.AutoReason)
			}
			if tt.from != "" && m.From != tt.from {
				t.Errorf("from = %q, want %q", m.From, tt.from)
			}
			if !strings.Contains(m.Subject, tt.subject) {
				t.Errorf("subject = %q, want it to hold %q", m.Subject, tt.subject)
			}
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("text = %q, want it to hold %q", m.Text, tt.text)
			}
			for _, w := range tt.indicators {
				if !has(m, w.typ, w.value, w.layer) {
					t.Errorf("missing %s %s in layer %s; have %+v", w.typ, w.value, w.layer, m.Indicators)
					continue
				}
				if w.source != "" {
					for _, ind := range m.Indicators {
						if ind.Value == w.value && !slices.Contains(ind.Sources, w.source) {
							t.Errorf("%s: sources %v, want %q among them", w.value, ind.Sources, w.source)
						}
					}
				}
			}
			for _, v := range tt.absent {
				if hasValue(m.Indicators, v) {
					t.Errorf("%s must not be an indicator", v)
				}
			}
			for _, v := range tt.context {
				if !hasValue(m.Context, v) {
					t.Errorf("%s missing from context %+v", v, m.Context)
				}
			}
			var names []string
			for _, a := range m.Attachments {
				names = append(names, a.Filename)
			}
			if tt.attachments != nil && !slices.Equal(names, tt.attachments) {
				t.Errorf("attachments = %q, want %q", names, tt.attachments)
			}
			if len(m.Evidence) != tt.evidence {
				t.Errorf("evidence = %+v, want %d forwarded mails", m.Evidence, tt.evidence)
			}
			if tt.deceptive && len(m.DeceptiveLinks) == 0 {
				t.Error("the link showing another URL than its target was not flagged")
			}
			if len(m.Errors) > 0 {
				t.Errorf("errors: %q", m.Errors)
			}
		})
	}
}

func TestParseAttachmentHashes(t *testing.T) {
	m := parseFile(t, "outlook-attached-phish.eml")
	var html *Attachment
	for i := range m.Attachments {
		if m.Attachments[i].Filename == "Rechnung_2026-4471.html" {
			html = &m.Attachments[i]
		}
	}
	if html == nil {
		t.Fatal("the forwarded mail's attachment is not listed")
	}
	// The forwarded mail's own attachment is one layer down, and its type
	// is read from its bytes, not from the octet-stream it claims.
	if html.Depth != 1 || html.SniffedType != "text/html" || html.Size != 201 {
		t.Errorf("attachment = %+v", html)
	}
	// Computed apart, from the base64 of the test mail.
	const sha, md = "10bfbf97d426b9cb6d6c393494da936bc37d768af7661817692d1a24daf7f6de", "8c9d9581d937ddb157c5de189514af94"
	if html.SHA256 != sha || html.MD5 != md || len(html.SHA1) != 40 {
		t.Errorf("hashes = %q %q %q, want sha256 %s", html.MD5, html.SHA1, html.SHA256, sha)
	}
	// Attachments of forwarded mails are samples: their hashes are indicators.
	if !has(m, "sha256", html.SHA256, LayerEvidence) {
		t.Errorf("the sample's sha256 is not an indicator")
	}
}
