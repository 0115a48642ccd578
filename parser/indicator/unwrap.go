package indicator

import (
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxUnwrap bounds the nesting of rewritten links (a Safe Link around a
// Proofpoint link around a Google redirect).
const maxUnwrap = 5

// Unwrap returns the real target of a link that a mail filter, a click
// tracker or an open redirect rewrote: Microsoft Safe Links (Outlook, GCC
// High's office365.us, Teams), Proofpoint URL Defense v1, v2 and v3,
// Barracuda LinkProtect, Google redirects in every country, Gmail's image
// proxy, Bing click links, SendGrid and Mailchimp click tracking and ad
// and social-network redirects that carry the target in the query,
// unwrapping nested ones. Mimecast links carry no target and stay as they
// are. Other URLs are returned unchanged.
func Unwrap(s string) string {
	for range maxUnwrap {
		t, ok := unwrapOnce(s)
		if !ok {
			break
		}
		s = t
	}
	return s
}

// unwrapOnce undoes one rewriting. The host is compared as written but
// case-folded; s need not be normalised.
func unwrapOnce(s string) (string, bool) {
	host, path, query := splitURL(s)
	var t string
	var err error
	switch {
	case strings.HasSuffix(host, ".safelinks.protection.outlook.com"),
		strings.HasSuffix(host, ".safelinks.protection.office365.us"), // GCC High
		host == "statics.teams.cdn.office.net" && strings.Contains(path, "safelinks"):
		// https://<region>.safelinks.protection.outlook.com/?url=<percent-encoded>&data=...
		// https://statics.teams.cdn.office.net/evergreen-assets/safelinks/1/atp-safelinks.html?url=...
		raw, ok := queryParam(query, "url")
		if !ok {
			return "", false
		}
		t, err = url.QueryUnescape(raw)
	case (host == "urldefense.proofpoint.com" || host == "urldefense.com") && strings.HasPrefix(path, "/v3/__"):
		t, err = proofpointV3(s[strings.Index(s, "/v3/__")+len("/v3/__"):])
	case host == "urldefense.proofpoint.com" && path == "/v2/url":
		// u= is the URL with '%' written '-' and '/' written '_', so that
		// it survives in a query unescaped.
		raw, ok := queryParam(query, "u")
		if !ok {
			return "", false
		}
		raw = strings.NewReplacer("-", "%", "_", "/").Replace(raw)
		t, err = url.PathUnescape(raw)
	case host == "urldefense.proofpoint.com" && path == "/v1/url":
		raw, ok := queryParam(query, "u")
		if !ok {
			return "", false
		}
		t, err = url.QueryUnescape(raw)
	case isGoogle(host) && path == "/url":
		raw, ok := queryParam(query, "q")
		if !ok || !hasPrefixFold([]byte(raw), "http") {
			raw, ok = queryParam(query, "url")
		}
		if !ok {
			return "", false
		}
		t, err = url.QueryUnescape(raw)
	case isGmailProxy(host, path):
		// https://ci3.googleusercontent.com/proxy/<signature>=s0-d-e1-ft#https://original.example/a.png
		_, frag, ok := strings.Cut(s, "#")
		if !ok {
			return "", false
		}
		t = frag
	case host == "www.bing.com" && path == "/ck/a":
		// u=a1 then the target in URL-safe base64, without padding.
		raw, ok := queryParam(query, "u")
		if !ok || !strings.HasPrefix(raw, "a1") {
			return "", false
		}
		b, derr := base64.RawURLEncoding.DecodeString(strings.TrimRight(raw[2:], "="))
		if derr != nil || !utf8.Valid(b) {
			return "", false
		}
		t = string(b)
	default:
		key, ok := redirector(host, path)
		if !ok {
			return "", false
		}
		raw, ok := targetParam(query, key)
		if !ok {
			return "", false
		}
		t = raw
	}
	if err != nil || !hasPrefixFold([]byte(t), "http") && !hasPrefixFold([]byte(t), "ftp") {
		return "", false
	}
	return t, true
}

// proofpointV3 decodes the part of a URL Defense v3 link after "/v3/__":
//
//	<url>__;<base64url of the replaced characters>!!<customer>!<signature>$
//
// Proofpoint replaces characters it will not carry by '*', and runs of
// them by "**" and a letter giving the run's length (A = 2, B = 3, ...,
// '_' = 65); the characters themselves follow the ';' in URL-safe base64.
func proofpointV3(s string) (string, error) {
	end := strings.Index(s, "__;")
	if end < 0 {
		end = strings.Index(s, "__!!")
		if end < 0 {
			return "", errProofpoint
		}
		return s[:end], nil
	}
	target := s[:end]
	enc := s[end+3:]
	if i := strings.IndexByte(enc, '!'); i >= 0 {
		enc = enc[:i]
	}
	if !strings.Contains(target, "*") {
		return target, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil || !utf8.Valid(raw) {
		return target, nil // keep the '*': the URL is still the target
	}
	chars := []rune(string(raw))
	var b strings.Builder
	for i := 0; i < len(target); i++ {
		c := target[i]
		if c != '*' {
			b.WriteByte(c)
			continue
		}
		n := 1
		if i+2 < len(target) && target[i+1] == '*' {
			n = strings.IndexByte(runLengths, target[i+2]) + 2
			if n < 2 {
				return target, nil
			}
			i += 2
		}
		if n > len(chars) {
			return target, nil
		}
		for _, r := range chars[:n] {
			b.WriteRune(r)
		}
		chars = chars[n:]
	}
	return b.String(), nil
}

const runLengths = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

type unwrapError string

func (e unwrapError) Error() string { return string(e) }

const errProofpoint = unwrapError("indicator: malformed URL Defense v3 link")

// mimecastDomain returns the domain= parameter of a Mimecast protected
// link (https://protect-eu.mimecast.com/s/<token>?domain=example.com):
// the link's target is only known to Mimecast, but its domain is given.
func mimecastDomain(s string) (string, bool) {
	host, _, query := splitURL(s)
	if !isMimecast(host) {
		return "", false
	}
	d, ok := queryParam(query, "domain")
	if !ok {
		return "", false
	}
	d, err := url.QueryUnescape(d)
	return d, err == nil && d != ""
}

func isMimecast(host string) bool {
	return strings.HasPrefix(host, "protect") && strings.HasSuffix(host, ".mimecast.com") ||
		strings.HasSuffix(host, ".mimecastprotect.com")
}

// isGoogle says whether host is Google's search site, in any country:
// google.com, www.google.de, www.google.co.uk, google.com.br.
func isGoogle(host string) bool {
	h := strings.TrimPrefix(host, "www.")
	cc, ok := strings.CutPrefix(h, "google.")
	if !ok {
		return false
	}
	if cc == "com" {
		return true
	}
	cc = strings.TrimPrefix(strings.TrimPrefix(cc, "com."), "co.")
	return len(cc) == 2 && 'a' <= cc[0] && cc[0] <= 'z' && 'a' <= cc[1] && cc[1] <= 'z'
}

// isGmailProxy says whether a URL is Gmail's image proxy, which carries
// the original image's URL after '#'.
func isGmailProxy(host, path string) bool {
	return strings.HasSuffix(host, ".googleusercontent.com") && strings.HasPrefix(host, "ci") &&
		(strings.HasPrefix(path, "/proxy/") || strings.HasPrefix(path, "/meips/"))
}

// redirector says whether a URL is a click tracker or an open redirect
// that carries its target in the query, and under which key; "" means
// the first parameter that holds a URL. Phish chain them: a mail filter's
// link around a tracker's around the kit's.
func redirector(host, path string) (string, bool) {
	switch {
	case strings.HasSuffix(host, ".ct.sendgrid.net"), host == "sendgrid.net":
		return "", strings.HasPrefix(path, "/ls/click") || strings.HasPrefix(path, "/wf/click")
	case host == "linkprotect.cudasvc.com":
		return "a", path == "/url"
	case strings.HasSuffix(host, ".list-manage.com"):
		return "", strings.HasPrefix(path, "/track/click")
	case host == "www.googleadservices.com" || host == "googleads.g.doubleclick.net" || host == "ad.doubleclick.net":
		return "adurl", true
	case host == "l.facebook.com" || host == "lm.facebook.com" || host == "l.instagram.com":
		return "u", path == "/l.php" || path == "/" || path == ""
	case host == "www.youtube.com" || host == "youtube.com":
		return "q", path == "/redirect"
	case host == "slack-redir.net":
		return "url", path == "/link"
	case host == "away.vk.com":
		return "to", path == "/away.php"
	}
	return "", false
}

// targetParam returns the decoded value of the parameter key, or with key
// "", of the first parameter whose decoded value is an http(s) URL.
func targetParam(query, key string) (string, bool) {
	if key != "" {
		raw, ok := queryParam(query, key)
		if !ok {
			return "", false
		}
		t, err := url.QueryUnescape(raw)
		return t, err == nil
	}
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		_, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if t, err := url.QueryUnescape(v); err == nil && (hasPrefixFold([]byte(t), "http://") || hasPrefixFold([]byte(t), "https://")) {
			return t, true
		}
	}
	return "", false
}

// splitURL returns the lower-case host, the path and the raw query of s,
// read loosely: it is only used to recognise rewriting services.
func splitURL(s string) (host, path, query string) {
	i := strings.Index(s, "://")
	if i < 0 {
		return "", "", ""
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host = rest[:end]
	if j := strings.LastIndexByte(host, '@'); j >= 0 {
		host = host[j+1:]
	}
	if j := strings.IndexByte(host, ':'); j >= 0 {
		host = host[:j]
	}
	host = strings.ToLower(host)
	rest = rest[end:]
	if j := strings.IndexByte(rest, '#'); j >= 0 {
		rest = rest[:j]
	}
	path, query, _ = strings.Cut(rest, "?")
	return host, path, query
}

// queryParam returns the raw, still escaped value of the first key=value
// pair named key in an application/x-www-form-urlencoded query.
func queryParam(query, key string) (string, bool) {
	for query != "" {
		var kv string
		kv, query, _ = strings.Cut(query, "&")
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
