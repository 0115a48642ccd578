package notify

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// writeListHeaders makes an area alert a list mail that its recipient can
// leave: List-Id (RFC 2919), List-Unsubscribe with the recipient's own
// mailto address and, when the league publishes an HTTP listener, its
// one-click link (RFC 2369 section 3.2), announced by
// List-Unsubscribe-Post (RFC 8058 section 3.1). Both headers are covered
// by the DKIM signature, as RFC 8058 section 4 requires. The URIs come
// from triage, which checked them; they are checked again here, since a
// header is no place for a stray byte.
func writeListHeaders(b *bytes.Buffer, v View) {
	l := v.List
	// Only alerts are list mail: a welcome explains how to leave in its
	// text, and is no list's message.
	if l == nil || v.Kind != store.KindAlert || l.ID == "" || !headerSafe(l.ID) {
		return
	}
	writeField(b, "List-Id", "<"+l.ID+">")
	var uris []string
	oneClick := false
	if u, err := url.Parse(l.URL); err == nil && l.URL != "" && u.Scheme == "https" && headerSafe(l.URL) {
		uris = append(uris, "<"+l.URL+">")
		oneClick = true
	}
	if l.Mailto != "" && headerSafe(l.Mailto) && strings.Contains(l.Mailto, "@") {
		uris = append(uris, "<mailto:"+l.Mailto+"?subject=unsubscribe>")
	}
	if len(uris) == 0 {
		return
	}
	writeField(b, "List-Unsubscribe", strings.Join(uris, ", "))
	if oneClick {
		writeField(b, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
}

// headerSafe reports whether s may stand in a header as it is: printable
// ASCII without angle brackets, commas or spaces.
func headerSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == ',' {
			return false
		}
	}
	return true
}
