package parser

import (
	"slices"
	"testing"

	"github.com/hospital-league/leaguemail/warninglists"
)

func contextOf(m *Message, value string) (Indicator, bool) {
	for _, c := range m.Context {
		if c.Value == value {
			return c, true
		}
	}
	return Indicator{}, false
}

// A hospital clerk on gmail.com forwards a BEC sent from gmail.com through
// Office 365: the scammer's address, reply-to and links are indicators;
// the relays, the platforms and the impersonated site are not.
func TestPrecisionFreemailBEC(t *testing.T) {
	m := parseFile(t, "freemail-bec-o365.eml")
	for _, w := range []struct{ typ, value string }{
		{"email", "ceo.fraud.xyz@gmail.com"},
		{"email", "payments@ceo-office-mail.com"},
		{"domain", "ceo-office-mail.com"},
		{"url", "https://ameli-remboursement.com/facture/8812"},
		{"url", "https://docs.google.com/forms/d/e/1FAIpQLSf9x/viewform"},
		{"url", "https://storage-quota-warning.web.app/login"},
		{"domain", "storage-quota-warning.web.app"},
		{"url", "https://bit.ly/3xYzAbc"},
	} {
		if !has(m, w.typ, w.value, "") {
			t.Errorf("%s %s missing from indicators", w.typ, w.value)
		}
	}
	for _, v := range []string{
		"jane.hospital.it@gmail.com", // the reporter herself
		"ceo.fraud.xyz",              // a local part is no domain
		"gmail.com", "docs.google.com", "bit.ly",
		"am0pr01mb5678.eurprd01.prod.outlook.com", "am5eur02ft012.eop-eur02.prod.protection.outlook.com",
		"mail-sor-f41.google.com", "209.85.220.41",
		"https://www.ameli.fr/facture/8812", "www.ameli.fr",
	} {
		if hasValue(m.Indicators, v) {
			t.Errorf("%s is an indicator", v)
		}
	}
	for _, c := range []struct{ value, warning, source string }{
		{"jane.hospital.it@gmail.com", "", ""},
		{"gmail.com", "List of free and shared mail providers", ""},
		{"docs.google.com", "List of known file-sharing and hosting platforms", ""},
		{"209.85.220.41", "List of known mail providers' sending IP ranges", "header:received"},
		{"mail-sor-f41.google.com", "List of known mail providers' and mail filters' hosts", "header:received"},
		{"am0pr01mb5678.eurprd01.prod.outlook.com", "List of known mail providers' and mail filters' hosts", "header:received"},
		{"https://www.ameli.fr/facture/8812", "", "deceptive_links"},
		{"www.ameli.fr", "", "deceptive_links"},
	} {
		got, ok := contextOf(m, c.value)
		if !ok {
			t.Errorf("%s missing from context", c.value)
			continue
		}
		if c.warning != "" && got.Warning != c.warning {
			t.Errorf("%s: warning %q, want %q", c.value, got.Warning, c.warning)
		}
		if c.source != "" && !slices.Contains(got.Sources, c.source) {
			t.Errorf("%s: sources %v, want %s", c.value, got.Sources, c.source)
		}
	}
	if len(m.DeceptiveLinks) != 1 {
		t.Errorf("deceptive links %+v, want the ameli one", m.DeceptiveLinks)
	}
}

// The first external hop is the relay the mail came from; when it is not
// warninglisted it is an indicator, and the hops around it are not.
func TestReceivedFirstExternalHop(t *testing.T) {
	raw := []byte("From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: phish\r\nMessage-ID: <r1@hospital.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\n" +
		"Received: from mx1.stmarys-clinic.org (10.0.0.5) by mbx.stmarys-clinic.org; Tue, 1 Dec 2026 08:01:05 +0000\r\n" +
		"Received: from mail.evil-sender.com (mail.evil-sender.com [185.220.101.4]) by mx1.stmarys-clinic.org; Tue, 1 Dec 2026 08:01:04 +0000\r\n" +
		"Received: from forged.example-relay.net ([198.98.51.7]) by mail.evil-sender.com; Tue, 1 Dec 2026 08:01:03 +0000\r\n" +
		"From: billing@evil-sender.com\r\nSubject: invoice\r\nMessage-ID: <p1@evil-sender.com>\r\n\r\npay now\r\n--b--\r\n")
	m := Parse(raw, testOpts)
	for _, v := range []string{"mail.evil-sender.com", "185.220.101.4"} {
		if !has(m, "", v, LayerEvidence) && !hasValue(m.Indicators, v) {
			t.Errorf("first external hop %s missing from indicators", v)
		}
	}
	for _, v := range []string{"mx1.stmarys-clinic.org", "forged.example-relay.net", "198.98.51.7"} {
		if hasValue(m.Indicators, v) {
			t.Errorf("%s is an indicator", v)
		}
		if _, ok := contextOf(m, v); !ok {
			t.Errorf("%s missing from context", v)
		}
	}
}

func TestReporterDomainExcludedUnlessFreemail(t *testing.T) {
	raw := []byte("From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: phish\r\nMessage-ID: <r2@hospital.example>\r\n\r\n" +
		"Phish from ceo.fraud.xyz@gmail.com linking https://intranet.hospital.example/login and https://evil.example/a\r\n")
	m := Parse(raw, testOpts)
	if hasValue(m.Indicators, "https://intranet.hospital.example/login") || hasValue(m.Indicators, "soc@hospital.example") {
		t.Errorf("the reporter's own domain gave indicators: %+v", m.Indicators)
	}
	if !hasValue(m.Indicators, "ceo.fraud.xyz@gmail.com") || hasValue(m.Indicators, "ceo.fraud.xyz") {
		t.Errorf("indicators %+v: want the address, not its local part", m.Indicators)
	}
}

// An empty set warns of nothing; a checkout replaces the defaults.
func TestWarninglistsOption(t *testing.T) {
	raw := []byte("From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: x\r\nMessage-ID: <r3@hospital.example>\r\n\r\n" +
		"see docs.google.com and 40.107.5.100\r\n")
	opts := testOpts
	opts.Warninglists = &warninglists.Set{}
	m := Parse(raw, opts)
	if !hasValue(m.Indicators, "docs.google.com") || !hasValue(m.Indicators, "40.107.5.100") {
		t.Errorf("with no lists, indicators %+v", m.Indicators)
	}
	set, _, err := warninglists.Load("../../shared/warninglists/lists")
	if err != nil {
		t.Skip(err)
	}
	opts.Warninglists = set
	m = Parse(raw, opts)
	if c, ok := contextOf(m, "40.107.5.100"); !ok || c.Warning != "List of known Office 365 IP address ranges" {
		t.Errorf("with the checkout, 40.107.5.100 in context as %+v", c)
	}
}

// Valid UTF-8 in a part that declares no charset is UTF-8: at the top
// level, and in a forwarded message/rfc822 that has no MIME header.
func TestUndeclaredUTF8(t *testing.T) {
	const phish = "https://\u0441\u0431\u0435\u0440-\u043e\u043d\u043b\u0430\u0439\u043d.\u0440\u0444/login" // сбер-онлайн.рф
	for _, c := range []struct{ name, raw string }{
		{"top level", "From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: x\r\nMessage-ID: <u1@h.example>\r\n\r\n" +
			"see \u0430pple.com and " + phish + "\r\n"},
		{"forwarded", "From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: x\r\nMessage-ID: <u2@h.example>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee \u0430pple.com\r\n" +
			"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: a@evil.example\r\nSubject: y\r\n\r\n" + phish + "\r\n--b--\r\n"},
	} {
		m := Parse([]byte(c.raw), testOpts)
		for _, v := range []string{"xn--pple-43d.com", "https://xn----8sbbqwkndesi.xn--p1ai/login"} {
			if !hasValue(m.Indicators, v) {
				t.Errorf("%s: %s missing from %+v", c.name, v, m.Indicators)
			}
		}
	}
}
