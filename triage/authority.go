package triage

import (
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// DESIGN.md invariant 4: a command runs only when its sender is a triager
// and the mail is authenticated, by our own MTA's verdict or by a reply
// token. The From header alone proves nothing: anyone can write it.

// authority says whether the mail may run commands on ticket n, how it was
// authenticated ("dkim", "spf" or "token", with detail), or why it may not.
func (in *intake) authority(n int64) (ok bool, how string, err error) {
	triager, err := in.isTriager()
	if err != nil {
		return false, "", err
	}
	if !triager {
		return false, in.actor() + " is not a triager", nil
	}
	if ok, how, err := in.signedBy(); ok || err != nil {
		return ok, how + " (the strongest of the three ways)", err
	}
	ok, why := in.g.authenticated(in.msg.Auth, in.from)
	if ok {
		return true, why, nil
	}
	for _, tok := range in.msg.Tokens {
		tn, ok := in.g.tokens.Verify(tok, in.from)
		if !ok {
			continue
		}
		// A token of a ticket merged into n stands for n: the merged
		// ticket's conversation is n's now.
		target, err := in.resolve(tn)
		if err != nil {
			return false, "", err
		}
		if target == n {
			return true, fmt.Sprintf("reply token of #%d issued to %s", tn, in.from), nil
		}
		why += fmt.Sprintf("; the reply token is for #%d, not #%d", tn, n)
		return false, why, nil
	}
	return false, why + fmt.Sprintf("; no reply token of #%d issued to %s", n, in.from), nil
}

// authenticated reads the Authentication-Results headers of a mail (raw
// values, topmost first) and says whether our MTA vouched for the From
// address: a DKIM pass for a domain aligned with it, or an SPF pass for an
// envelope sender aligned with it. It says how, or why not.
//
// Which header to believe: our MTA prepends its Authentication-Results
// on top of the header, as every MTA prepends its trace fields (RFC 8601
// section 5), so anything below it was there before the mail reached us
// and may have been written by the sender, including a header that claims
// our own authserv-id. Only the topmost header is ours, and only if it
// carries our authserv-id. If the topmost is someone else's, the mail
// did not come through our MTA as configured (or the configuration is
// wrong), and nothing is trusted rather than looking further down, where
// a forgery would be found first. With no authserv-id configured, no
// header is trusted and only reply tokens authenticate.
func (g *Gateway) authenticated(headers []string, from string) (ok bool, how string) {
	id := strings.ToLower(strings.TrimSpace(g.cfg.AuthservID))
	if id == "" {
		return false, "no trusted authserv-id is configured"
	}
	if len(headers) == 0 {
		return false, "no Authentication-Results header"
	}
	_, fromDomain, found := strings.Cut(strings.ToLower(from), "@")
	if !found || fromDomain == "" {
		return false, "no sender domain"
	}
	server, results, err := authres.Parse(stripComments(headers[0]))
	server = strings.ToLower(server)
	if server != id {
		return false, fmt.Sprintf("the topmost Authentication-Results is from %q, not our %q", server, id)
	}
	var seen []string
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DKIMResult:
			d := r.Domain
			if d == "" {
				_, d, _ = strings.Cut(r.Identifier, "@")
			}
			d = cleanDomain(d)
			seen = append(seen, fmt.Sprintf("dkim=%s header.d=%s", r.Value, d))
			if r.Value == authres.ResultPass && aligned(d, fromDomain) {
				return true, fmt.Sprintf("dkim=pass header.d=%s (%s)", d, id)
			}
		case *authres.SPFResult:
			d := r.From
			if at := strings.LastIndexByte(d, '@'); at >= 0 {
				d = d[at+1:]
			}
			d = cleanDomain(d)
			seen = append(seen, fmt.Sprintf("spf=%s smtp.mailfrom=%s", r.Value, d))
			if r.Value == authres.ResultPass && aligned(d, fromDomain) {
				return true, fmt.Sprintf("spf=pass smtp.mailfrom=%s (%s)", d, id)
			}
		}
	}
	why := fmt.Sprintf("%s says no DKIM or SPF pass aligned with %s", id, fromDomain)
	if len(seen) > 0 {
		why += " (" + strings.Join(seen, ", ") + ")"
	}
	if err != nil {
		why += fmt.Sprintf(" (part of the header could not be read: %v)", err)
	}
	return false, why
}

func cleanDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(strings.TrimSpace(d), `"<>`)), ".")
}

// aligned reports relaxed alignment (RFC 7489 section 3.1): the two
// domains have the same organizational domain, the registrable domain
// under the public suffix list. A domain under no listed suffix (.example,
// a private TLD) is its own organizational domain's parent by the list's
// default rule; one that has no registrable part must match exactly.
func aligned(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return orgDomain(a) == orgDomain(b)
}

func orgDomain(d string) string {
	if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return o
	}
	return d
}

// stripComments removes RFC 5322 comments from a header value, nested
// ones too, and takes the semicolons out of quoted strings.
// authres.Parse splits on every ";" and does not know comments, and real
// MTAs write both: "dkim=pass (2048-bit key; unprotected) header.d=...".
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (quoted || depth > 0):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(s) {
					b.WriteByte(s[i+1])
				}
			}
			i++
		case quoted:
			if c == '"' {
				quoted = false
			}
			if c == ';' {
				c = ','
			}
			b.WriteByte(c)
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
