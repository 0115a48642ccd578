package indicator

import (
	"net/url"
	"strings"
)

// analysisHosts are the services analysts link to when they report: a
// link to one names the indicator it is about (virustotal.com/gui/file/
// <sha256>), and is no indicator itself.
var analysisHosts = map[string]bool{
	"www.virustotal.com": true, "virustotal.com": true, "urlscan.io": true, "any.run": true, "app.any.run": true,
	"www.hybrid-analysis.com": true, "hybrid-analysis.com": true, "bazaar.abuse.ch": true, "urlhaus.abuse.ch": true,
	"threatfox.abuse.ch": true, "otx.alienvault.com": true, "www.shodan.io": true, "shodan.io": true,
	"www.abuseipdb.com": true, "tria.ge": true, "www.joesandbox.com": true, "www.talosintelligence.com": true,
	"exchange.xforce.ibmcloud.com": true, "pulsedive.com": true, "www.threatcrowd.org": true,
}

// AnalysisService reports whether a normalised url or domain indicator is
// an analysis service or a link to one: context, not an indicator.
func AnalysisService(t Type, value string) bool {
	switch t {
	case Domain:
		return analysisHosts[value]
	case URL:
		host, _, _ := splitURL(value)
		return analysisHosts[host]
	}
	return false
}

// redirectKeys are the query parameters that carry where a link leads
// (an open redirect's ?url=, an ad click's adurl=, OAuth's redirect_uri).
var redirectKeys = map[string]bool{
	"url": true, "u": true, "adurl": true, "q": true, "redirect": true, "redirect_url": true, "redirect_uri": true,
	"redir": true, "target": true, "dest": true, "destination": true, "link": true, "goto": true, "next": true,
	"to": true, "return": true, "returnurl": true, "return_url": true, "continue": true, "r": true,
}

// embedded appends to out what a normalised URL names without being a
// rewritten link: a URL in a redirect parameter of its query, and the
// indicators in the path of a link to an analysis service. It returns
// out; it costs nothing for the common URL, which has neither.
func (x *Extractor) embedded(u string, out []Indicator) []Indicator {
	q := strings.IndexByte(u, '?')
	target := q >= 0 && containsFold(u[q:], "http")
	host, path, query := splitURL(u)
	if !target && !analysisHosts[host] {
		return out
	}
	for q := query; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !redirectKeys[strings.ToLower(k)] || len(v) < len("http://a.b") {
			continue
		}
		t, err := url.QueryUnescape(v)
		if err != nil || !hasPrefixFold([]byte(t), "http://") && !hasPrefixFold([]byte(t), "https://") {
			continue
		}
		if tu, pu, ok := x.normalizeURL(trimURL([]byte(t)), 1); ok {
			out = append(out, Indicator{Type: URL, Value: tu}, pu.host)
		}
	}
	if !analysisHosts[host] {
		return out
	}
	return append(out, x.analysisPath(u, path)...)
}

// analysisPath returns the indicators named in the path and fragment of a
// link to an analysis service: virustotal.com/gui/file/<hash>,
// /gui/domain/<name>, /en/ip-address/<ip>/information/,
// urlscan.io/domain/<name>, any.run/report/<hash>/... A /url/<id> is the
// hash of a URL, not of a file: left out.
func (x *Extractor) analysisPath(u, path string) []Indicator {
	var out []Indicator
	rest := path
	if _, frag, ok := strings.Cut(u, "#"); ok {
		rest += "/" + frag
	}
	segs := strings.FieldsFunc(rest, func(r rune) bool { return r == '/' || r == '#' || r == '?' || r == '=' || r == '&' })
	for i, seg := range segs {
		if i > 0 && (segs[i-1] == "url" || segs[i-1] == "urls") {
			continue
		}
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		x.Extract([]byte(seg), func(ind Indicator) bool {
			if !(ind.Type == Domain && analysisHosts[ind.Value]) {
				out = append(out, ind)
			}
			return len(out) < 64
		})
	}
	return out
}

// containsFold reports whether s holds the lower-case ASCII sub, in any case.
func containsFold(s, sub string) bool {
outer:
	for i := 0; i+len(sub) <= len(s); i++ {
		for k := 0; k < len(sub); k++ {
			if lower(s[i+k]) != sub[k] {
				continue outer
			}
		}
		return true
	}
	return false
}
