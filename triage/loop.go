package triage

import (
	"net/textproto"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
)

// Answerable decides whether a mail may be answered automatically at all
// (DESIGN.md invariant 3, RFC 3834 section 2): never a bounce or an
// auto-reply, never a mail with Auto-Submitted other than "no", with
// Precedence bulk, junk or list, with a List-Id, from a null or
// MAILER-DAEMON sender, or from the league itself. It returns the reason
// when it may not.
func (g *Gateway) Answerable(m *parser.Message) (ok bool, reason string) {
	switch m.Kind {
	case parser.KindBounce:
		return false, "a bounce"
	case parser.KindAutoReply:
		return false, "an auto-reply"
	}
	if m.NoAnswer != "" {
		return false, m.NoAnswer
	}
	from := strings.ToLower(strings.TrimSpace(m.From))
	if from == "" {
		return false, "no sender address"
	}
	if rp := header(m, "Return-Path"); rp != "" && strings.Trim(rp, "<> \t") == "" {
		return false, "null sender (Return-Path: <>)"
	}
	if local, _, _ := strings.Cut(from, "@"); local == "mailer-daemon" {
		return false, "sender is MAILER-DAEMON"
	}
	if v := header(m, "Auto-Submitted"); v != "" {
		if kw, _, _ := strings.Cut(strings.ToLower(v), ";"); strings.TrimSpace(kw) != "no" {
			return false, "Auto-Submitted: " + v
		}
	}
	switch v := strings.ToLower(header(m, "Precedence")); v {
	case "bulk", "junk", "list":
		return false, "Precedence: " + v
	}
	if v := header(m, "List-Id"); v != "" {
		return false, "a mailing list (List-Id " + v + ")"
	}
	if v := strings.ToLower(header(m, "X-Auto-Response-Suppress")); v != "" {
		for _, w := range strings.Split(v, ",") {
			switch strings.TrimSpace(w) {
			case "all", "autoreply", "oof":
				return false, "X-Auto-Response-Suppress: " + v
			}
		}
	}
	if g.ownAddress(from) {
		return false, "our own address"
	}
	if g.ownDomain(from) {
		return false, "one of our own domains"
	}
	return true, ""
}

// header returns the first value of a top-level header field.
func header(m *parser.Message, key string) string {
	if v := m.Header[textproto.CanonicalMIMEHeaderKey(key)]; len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	for k, v := range m.Header {
		if strings.EqualFold(k, key) && len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
	}
	return ""
}

// ownAddress reports whether addr is the league's address or a
// plus-address of it.
func (g *Gateway) ownAddress(addr string) bool {
	local, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return false
	}
	base, _, _ := strings.Cut(local, "+")
	return base+"@"+domain == g.address
}

// ownDomain reports whether addr is at one of the league's domains or
// their subdomains.
func (g *Gateway) ownDomain(addr string) bool {
	_, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return false
	}
	for _, d := range g.domains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}
