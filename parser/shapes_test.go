package parser

import (
	"strings"
	"testing"
)

func htmlMail(body, cte string) []byte {
	h := "From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: fwd\r\nMessage-ID: <h1@hospital.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
	if cte != "" {
		h += "Content-Transfer-Encoding: " + cte + "\r\n"
	}
	return []byte(h + "\r\n" + body + "\r\n")
}

// HTML as phish kits and bulk mailers write it, found side by side with
// eml_parser on real phish.
func TestHTMLShapes(t *testing.T) {
	tests := []struct {
		name, body, cte string
		want            []string
		absent          []string
	}{
		{"a never closed", `<p>Reply to <a href="mailto:ceo-office@wire-desk.com">the CEO`, "",
			[]string{"ceo-office@wire-desk.com"}, nil},
		{"a followed by a", `<a href="https://first-kit.com/a">one <a href="https://second-kit.com/b">two</a>`, "",
			[]string{"https://first-kit.com/a", "https://second-kit.com/b"}, nil},
		{"nbsp next to tags", `Log in at&nbsp;<b>evil-login.com</b>&nbsp;today, through&nbsp;<i>www.blockchain-verify.com</i>`, "",
			[]string{"evil-login.com", "www.blockchain-verify.com"}, []string{"throughwww.blockchain-verify.com"}},
		{"protocol-relative", `<a href="//cdn-kit.com/login.php?id=1">Sign in</a>`, "",
			[]string{"https://cdn-kit.com/login.php?id=1", "cdn-kit.com"}, nil},
		{"open redirect", `<a href="https://www.googleadservices.com/pagead/aclk?sa=L&ai=x&adurl=https://landing-kit.com/x">ad</a>`, "",
			[]string{"https://landing-kit.com/x"}, nil},
		{"gmail image proxy", `<img src="https://ci3.googleusercontent.com/proxy/AbC=s0-d-e1-ft#https://tracker-kit.com/p.gif">`, "",
			[]string{"https://tracker-kit.com/p.gif"}, nil},
		{"qp in a 7bit part", "<a href=3D\"https://qp-kit.com/login\">Verify</a> your account=\r\n today. <p class=3D\"x\">", "7bit",
			[]string{"https://qp-kit.com/login"}, []string{"https://qp-kit.com/login%22"}},
		{"markdown", `<pre>[one](https://md-kit.com/a)[two](https://md-kit2.com/b) and [![i](https://md-kit3.com/i.png)](https://md-kit4.com/c)</pre>`, "",
			[]string{"https://md-kit.com/a", "https://md-kit2.com/b", "https://md-kit3.com/i.png", "https://md-kit4.com/c"}, nil},
		{"two at signs", `<p>write to a@b@c-kit.com</p>`, "", nil, []string{"b@c-kit.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Parse(htmlMail(tt.body, tt.cte), testOpts)
			for _, v := range tt.want {
				if !hasValue(m.Indicators, v) {
					t.Errorf("%s missing from %+v", v, m.Indicators)
				}
			}
			for _, v := range tt.absent {
				if hasValue(m.Indicators, v) {
					t.Errorf("%s is an indicator", v)
				}
			}
			for _, ind := range m.Indicators {
				if strings.Contains(ind.Value, "=3D") || strings.Contains(ind.Value, "3D%22") {
					t.Errorf("QP residue in %s", ind.Value)
				}
			}
		})
	}
}

// An analysis service's link names the indicator; the link is context.
func TestAnalysisServiceLink(t *testing.T) {
	raw := []byte("From: soc@hospital.example\r\nTo: report@league.example\r\nSubject: x\r\nMessage-ID: <a1@hospital.example>\r\n\r\n" +
		"See https://www.virustotal.com/gui/file/2f3ec0e4998909bb0efab13c82d30708ca9f88679e42b75ef13ea0466951d862/detection and " +
		"https://urlscan.io/domain/kit-host.com\r\n")
	m := Parse(raw, testOpts)
	for _, v := range []string{"2f3ec0e4998909bb0efab13c82d30708ca9f88679e42b75ef13ea0466951d862", "kit-host.com"} {
		if !hasValue(m.Indicators, v) {
			t.Errorf("%s missing from %+v", v, m.Indicators)
		}
	}
	for _, v := range []string{"www.virustotal.com", "urlscan.io", "https://urlscan.io/domain/kit-host.com"} {
		if hasValue(m.Indicators, v) {
			t.Errorf("%s is an indicator", v)
		}
		if _, ok := contextOf(m, v); !ok {
			t.Errorf("%s missing from context", v)
		}
	}
}
