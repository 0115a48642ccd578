package indicator

import (
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// maxDefangIndicators bounds the indicators one text is searched for.
const maxDefangIndicators = 1000

// DefangText rewrites free text so that no mail client makes a link of
// an indicator in it (DESIGN.md invariant 6): schemes become hxxp and
// hxxps, and the dots of every host, domain, e-mail domain and IPv4
// address the extractor finds become [.], wherever and however the text
// writes them (any case, an IDN in its Unicode form). The excluded
// domains, the league's own, stay writable.
func (x *Extractor) DefangText(text string) string {
	if text == "" {
		return ""
	}
	var hosts []string
	x.Extract([]byte(text), func(ind Indicator) bool {
		switch ind.Type {
		case Domain, IPv4:
			hosts = append(hosts, ind.Value)
		case Email:
			if at := strings.LastIndexByte(ind.Value, '@'); at >= 0 {
				hosts = append(hosts, ind.Value[at+1:])
			}
		case URL:
			if u, err := url.Parse(ind.Value); err == nil && u.Hostname() != "" {
				hosts = append(hosts, u.Hostname())
			}
		}
		return len(hosts) < maxDefangIndicators
	})
	low := asciiLower(text)
	dots := make([]bool, len(text))
	mark := func(host string) {
		if !strings.Contains(host, ".") || x.excluded(host) {
			return
		}
		h := asciiLower(host)
		for from := 0; ; {
			i := strings.Index(low[from:], h)
			if i < 0 {
				return
			}
			i += from
			if ip := strings.Trim(h, "0123456789."); ip == "" {
				// An IPv4 address is defanged at its last dot, as Defang does.
				dots[i+strings.LastIndexByte(h, '.')] = true
			} else {
				for j := i; j < i+len(h); j++ {
					if text[j] == '.' {
						dots[j] = true
					}
				}
			}
			from = i + len(h)
		}
	}
	for _, h := range hosts {
		mark(h)
		if u, err := idna.ToUnicode(h); err == nil && u != h {
			mark(u)
		}
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/8)
	for i := 0; i < len(text); i++ {
		if dots[i] {
			b.WriteString("[.]")
			continue
		}
		if w, ok := schemeAt(low, i); ok {
			b.WriteString(w)
			i += len(w) - 1 // the scheme's letters, not its "://"
			continue
		}
		b.WriteByte(text[i])
	}
	return b.String()
}

// schemeAt returns the defanged form of a link scheme that starts at i in
// the lower-cased text, if one does.
func schemeAt(low string, i int) (string, bool) {
	if i > 0 && isAlnum(low[i-1]) {
		return "", false
	}
	for _, s := range []string{"https", "http", "ftps", "ftp"} {
		if strings.HasPrefix(low[i:], s+"://") {
			return defangedSchemes[s], true
		}
	}
	return "", false
}

// asciiLower lower-cases ASCII letters only, so that byte offsets stay.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower(c)
	}
	return string(b)
}
