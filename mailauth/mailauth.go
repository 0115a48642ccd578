// Package mailauth implements reading our own MTA's verdict on a mail's
// sender from its Authentication-Results headers (RFC 8601): an aligned DKIM
// or SPF pass (RFC 7489 relaxed alignment), a failure, or nothing.
//
// DESIGN.md invariants 4 and 7: our MTA's verdict is the only one
// believed. The From header alone proves nothing: anyone can write it.
package mailauth

import (
	"fmt"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// Verdict is what our MTA's Authentication-Results say of a mail's From
// domain.
type Verdict int

const (
	// Unknown: no authserv-id is configured, so no header is believed
	// and nothing is known either way.
	Unknown Verdict = iota
	// None: our MTA vouches for nothing (no aligned pass), or did not see
	// the mail at all.
	None
	// Fail: our MTA says the From domain failed: dmarc=fail, or a DKIM or
	// SPF fail for an aligned domain. A forged From.
	Fail
	// Pass: an aligned DKIM or SPF pass.
	Pass
)

func (v Verdict) String() string {
	switch v {
	case None:
		return "none"
	case Fail:
		return "fail"
	case Pass:
		return "pass"
	}
	return "unknown"
}

// Result is our MTA's verdict on a mail's From, and how it reads.
type Result struct {
	Verdict Verdict
	How     string
}

// Unauthenticated reports whether the MTA we trust says that the sender
// is not who From says (no aligned pass, or a failure). With no trusted
// authserv-id there is no verdict, and this is false.
func (r Result) Unauthenticated() bool {
	return r.Verdict == None || r.Verdict == Fail
}

// Evaluate reads the Authentication-Results headers of a mail (raw values,
// topmost first) for the verdict of the MTA whose authserv-id is id on the
// From address from.
//
// Which headers to believe: our MTA prepends its Authentication-Results
// on top of the header, as every MTA prepends its trace fields (RFC 8601
// section 5), so anything below them was there before the mail reached
// us and may have been written by the sender. Our MTA may write several
// (OpenDKIM's, then OpenDMARC's, each its own header): the contiguous run
// of topmost headers that carry our authserv-id is read, and nothing
// below a foreign one. Within the run a method reported higher up wins
// over the same method reported lower (a forgery appended below our own
// header cannot turn our dkim=none into a pass), and dmarc=fail, or a
// failure for an aligned domain, makes the whole verdict a failure. RFC
// 8601 section 5 also has the MTA delete incoming headers that claim its
// own authserv-id (OpenDKIM: RemoveARAll), and README's Authority section
// says to set that up. If the topmost header is someone else's, the mail
// did not come through our MTA as configured (or the configuration is
// wrong), and nothing is trusted. With no authserv-id configured, no
// header is trusted and only reply tokens authenticate.
func Evaluate(id string, headers []string, from string) Result {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		return Result{Unknown, "no trusted authserv-id is configured"}
	}
	if len(headers) == 0 {
		return Result{None, "no Authentication-Results header"}
	}
	_, fromDomain, found := strings.Cut(strings.ToLower(from), "@")
	if !found || fromDomain == "" {
		return Result{None, "no sender domain"}
	}
	var seen, readErrs []string
	reported := map[string]bool{} // methods already read from a header above
	pass, fail := "", ""
	for i, h := range headers {
		server, results, err := authres.Parse(stripComments(h))
		if server = strings.ToLower(server); server != id {
			if i == 0 {
				return Result{None, fmt.Sprintf("the topmost Authentication-Results is from %q, not our %q", server, id)}
			}
			break
		}
		if err != nil {
			readErrs = append(readErrs, err.Error())
		}
		here := map[string]bool{}
		for _, r := range results {
			method, d, value := resultOf(r)
			if method == "" || reported[method] {
				continue
			}
			here[method] = true
			switch method {
			case "dmarc":
				seen = append(seen, fmt.Sprintf("dmarc=%s", value))
				if value == authres.ResultFail && fail == "" {
					fail = fmt.Sprintf("dmarc=fail for %s (%s)", fromDomain, id)
				}
			default:
				key := "header.d"
				if method == "spf" {
					key = "smtp.mailfrom"
				}
				seen = append(seen, fmt.Sprintf("%s=%s %s=%s", method, value, key, d))
				if !aligned(d, fromDomain) {
					continue
				}
				switch value {
				case authres.ResultPass:
					if pass == "" {
						pass = fmt.Sprintf("%s=pass %s=%s (%s)", method, key, d, id)
					}
				case authres.ResultFail, authres.ResultPermError:
					if fail == "" {
						fail = fmt.Sprintf("%s=%s %s=%s (%s)", method, value, key, d, id)
					}
				}
			}
		}
		for m := range here {
			reported[m] = true
		}
	}
	switch {
	case fail != "":
		return Result{Fail, id + " says the sender failed authentication: " + fail}
	case pass != "":
		return Result{Pass, pass}
	}
	why := fmt.Sprintf("%s says no DKIM or SPF pass aligned with %s", id, fromDomain)
	if len(seen) > 0 {
		why += " (" + strings.Join(seen, ", ") + ")"
	}
	if len(readErrs) > 0 {
		why += fmt.Sprintf(" (part of the header could not be read: %s)", strings.Join(readErrs, "; "))
	}
	return Result{None, why}
}

// resultOf says which method a result is of, for which domain, and its
// value.
func resultOf(r authres.Result) (method, domain string, value authres.ResultValue) {
	switch r := r.(type) {
	case *authres.DKIMResult:
		d := r.Domain
		if d == "" {
			_, d, _ = strings.Cut(r.Identifier, "@")
		}
		return "dkim", cleanDomain(d), r.Value
	case *authres.SPFResult:
		d := r.From
		if at := strings.LastIndexByte(d, '@'); at >= 0 {
			d = d[at+1:]
		}
		return "spf", cleanDomain(d), r.Value
	case *authres.DMARCResult:
		return "dmarc", cleanDomain(r.From), r.Value
	}
	return "", "", ""
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
