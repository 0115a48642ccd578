package takedown

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openrdap/rdap"
)

// Abuse contacts come from RDAP (RFC 9082 queries, RFC 9083 answers): a
// domain's registrar abuse desk is the entity with role "abuse", found
// under the entity with role "registrar" (ICANN's gTLD RDAP profile) or
// at the top; an address's hoster is the abuse entity of the RIR's IP
// network object, at any depth (RIPE and ARIN nest it under the
// organisation).

// maxRDAP bounds one RDAP answer; real ones are tens of KB.
const maxRDAP = 2 << 20

// maxRedirects bounds the redirects of one query: an RIR answers for
// another RIR's space with a redirect (RFC 7480 section 5.2), rarely
// more than one.
const maxRedirects = 5

// Contact is an abuse contact found for an indicator.
type Contact struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
	// Source says where it came from: registrar, hosting, contact (an
	// abuse contact of ours whose covers matched).
	Source string `json:"source"`
	// Via is what was looked up: the domain, or the IP address.
	Via string `json:"via,omitempty"`
	// ASNs announce the address, where the RIR says (ARIN's originAS
	// extension): an abuse contact of ours may cover them.
	ASNs []uint32 `json:"-"`
}

// LookupError is an RDAP query that failed. Temporary ones (a timeout,
// 429, 5xx, garbage, a redirect loop) are tried again later; the others
// (404: no such object; no abuse entity) are final.
type LookupError struct {
	What      string // "domain evil.example"
	Why       string
	Temporary bool
	// RetryAfter is the server's Retry-After, if it gave one.
	RetryAfter time.Duration
}

func (e *LookupError) Error() string { return "RDAP " + e.What + ": " + e.Why }

// RDAP queries RDAP servers.
type RDAP struct {
	client *http.Client
}

// NewRDAP returns an RDAP client over client's transport, with a bounded
// redirect policy and a timeout per query.
func NewRDAP(client *http.Client) *RDAP {
	c := &http.Client{Timeout: 20 * time.Second}
	if client != nil {
		*c = *client
		if c.Timeout == 0 {
			c.Timeout = 20 * time.Second
		}
	}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects (a loop?)", len(via))
		}
		if err := remoteAllowed(req.URL); err != nil {
			return fmt.Errorf("redirected to %s: %w", req.URL.Redacted(), err)
		}
		return nil
	}
	return &RDAP{client: c}
}

// get queries base/path and returns the decoded object.
func (r *RDAP) get(ctx context.Context, what string, bases []*url.URL, path string) (any, error) {
	var last error
	for _, base := range bases {
		u := base.JoinPath(path)
		obj, err := r.getOne(ctx, what, u)
		if err == nil {
			return obj, nil
		}
		last = err
		var le *LookupError
		if errors.As(err, &le) && !le.Temporary {
			return nil, err
		}
	}
	return nil, last
}

func (r *RDAP) getOne(ctx context.Context, what string, u *url.URL) (any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &LookupError{What: what, Why: err.Error()}
	}
	// RFC 7480 section 4.2.
	req.Header.Set("Accept", "application/rdap+json, application/json;q=0.9")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, &LookupError{What: what, Why: cleanErr(err), Temporary: true}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRDAP+1))
	if err != nil {
		return nil, &LookupError{What: what, Why: "reading the answer: " + cleanErr(err), Temporary: true}
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, &LookupError{What: what, Why: "the registry has no such object (404)"}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return nil, &LookupError{What: what, Why: "the server answered " + resp.Status, Temporary: true,
			RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode != http.StatusOK:
		return nil, &LookupError{What: what, Why: "the server answered " + resp.Status, Temporary: resp.StatusCode == http.StatusRequestTimeout}
	}
	if len(body) > maxRDAP {
		return nil, &LookupError{What: what, Why: fmt.Sprintf("the answer is over %d bytes", maxRDAP), Temporary: true}
	}
	obj, err := Decode(body)
	if err != nil {
		return nil, &LookupError{What: what, Why: err.Error(), Temporary: true}
	}
	return obj, nil
}

// Decode reads one RDAP answer: a domain, an IP network or an error
// object. Anything else (a Help object, HTML from a captive portal, cut
// JSON) is an error. It never panics, whatever the bytes.
func Decode(body []byte) (obj any, err error) {
	// The decoder walks the JSON by reflection; an input it was not
	// written for must fail this one answer, not the gateway.
	defer func() {
		if r := recover(); r != nil {
			obj, err = nil, fmt.Errorf("the answer is not RDAP JSON the decoder can read: %v", r)
		}
	}()
	if !looksLikeObject(body) {
		return nil, errors.New("the answer is not a JSON object (garbage, or an HTML page)")
	}
	v, err := rdap.NewDecoder(body).Decode()
	if err != nil {
		return nil, fmt.Errorf("the answer is not RDAP JSON: %w", err)
	}
	switch v := v.(type) {
	case *rdap.Domain, *rdap.IPNetwork:
		return v, nil
	case *rdap.Error:
		code := uint16(0)
		if v.ErrorCode != nil {
			code = *v.ErrorCode
		}
		return nil, fmt.Errorf("the server answered an RDAP error %d: %s", code, strings.Join(v.Description, " "))
	}
	return nil, errors.New("the answer is RDAP JSON but neither a domain nor an IP network")
}

func looksLikeObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// Domain finds the registrar's abuse contact of domain.
func (r *RDAP) Domain(ctx context.Context, bs *Bootstrap, domain string) (Contact, error) {
	what := "domain " + domain
	bases, err := bs.DomainServers(ctx, domain)
	if err != nil {
		return Contact{}, noServer(what, err, bs)
	}
	obj, err := r.get(ctx, what, bases, "domain/"+domain)
	if err != nil {
		return Contact{}, err
	}
	d, ok := obj.(*rdap.Domain)
	if !ok {
		return Contact{}, &LookupError{What: what, Why: "the server answered with an object other than a domain", Temporary: true}
	}
	c, ok := domainAbuse(d)
	if !ok {
		return Contact{}, &LookupError{What: what, Why: "the answer names no abuse contact with an email address (redacted?)"}
	}
	c.Source, c.Via = "registrar", domain
	return c, nil
}

// IP finds the hosting provider's abuse contact for ip.
func (r *RDAP) IP(ctx context.Context, bs *Bootstrap, ip net.IP) (Contact, error) {
	what := "ip " + ip.String()
	bases, err := bs.IPServers(ctx, ip)
	if err != nil {
		return Contact{}, noServer(what, err, bs)
	}
	obj, err := r.get(ctx, what, bases, "ip/"+ip.String())
	if err != nil {
		return Contact{}, err
	}
	n, ok := obj.(*rdap.IPNetwork)
	if !ok {
		return Contact{}, &LookupError{What: what, Why: "the server answered with an object other than an IP network", Temporary: true}
	}
	c, ok := networkAbuse(n)
	if !ok {
		return Contact{}, &LookupError{What: what, Why: "the answer names no abuse contact with an email address"}
	}
	c.Source, c.Via, c.ASNs = "hosting", ip.String(), originASNs(n)
	return c, nil
}

// originASNs reads ARIN's arin_originas0 extension, when there.
func originASNs(n *rdap.IPNetwork) []uint32 {
	if n.DecodeData == nil {
		return nil
	}
	list, _ := n.DecodeData.Value("arin_originas0_originautnums").([]any)
	var out []uint32
	for _, v := range list {
		if f, ok := v.(float64); ok && f > 0 && f < 1<<32 {
			out = append(out, uint32(f))
		}
	}
	return out
}

// noServer is the error of a look-up the bootstrap files have no server
// for: final, unless the files could not be fetched, which may pass.
func noServer(what string, err error, bs *Bootstrap) error {
	if f := bs.failing(); f != nil {
		return &LookupError{What: what, Why: err.Error() + " (" + f.Error() + ")", Temporary: true}
	}
	return &LookupError{What: what, Why: err.Error()}
}

// domainAbuse prefers the abuse entity under the registrar (RFC 9083
// section 5.1 roles; ICANN's RDAP profile puts the registrar's abuse
// contact there), then one at the top.
func domainAbuse(d *rdap.Domain) (Contact, bool) {
	for _, e := range d.Entities {
		if hasRole(e.Roles, "registrar") {
			name := entityName(&e)
			for _, sub := range e.Entities {
				if hasRole(sub.Roles, "abuse") {
					if email := entityEmail(&sub); email != "" {
						return Contact{Email: email, Name: orDefault(name, entityName(&sub))}, true
					}
				}
			}
		}
	}
	for _, e := range d.Entities {
		if hasRole(e.Roles, "abuse") {
			if email := entityEmail(&e); email != "" {
				return Contact{Email: email, Name: entityName(&e)}, true
			}
		}
	}
	return Contact{}, false
}

// networkAbuse finds the abuse entity of an IP network, the shallowest
// first, three levels at most.
func networkAbuse(n *rdap.IPNetwork) (Contact, bool) {
	level := n.Entities
	for depth := 0; depth < 3 && len(level) > 0; depth++ {
		var next []rdap.Entity
		for _, e := range level {
			if hasRole(e.Roles, "abuse") {
				if email := entityEmail(&e); email != "" {
					name := entityName(&e)
					if name == "" {
						name = n.Name
					}
					return Contact{Email: email, Name: name}, true
				}
			}
			next = append(next, e.Entities...)
		}
		level = next
	}
	return Contact{}, false
}

func hasRole(roles []string, role string) bool {
	for _, r := range roles {
		if strings.EqualFold(strings.TrimSpace(r), role) {
			return true
		}
	}
	return false
}

// entityEmail is the first email of the entity's vCard (RFC 7095 jCard)
// that is an address: redacted ones (RFC 9537) are often left empty or
// replaced by words ("REDACTED FOR PRIVACY") or by a web form's URL.
func entityEmail(e *rdap.Entity) string {
	if e.VCard == nil {
		return ""
	}
	for _, p := range e.VCard.Get("email") {
		for _, v := range p.Values() {
			v = strings.TrimSpace(strings.TrimPrefix(v, "mailto:"))
			a, err := mail.ParseAddress(v)
			if err != nil || a.Name != "" || !strings.Contains(a.Address, "@") || len(a.Address) > 254 {
				continue
			}
			return strings.ToLower(a.Address)
		}
	}
	return ""
}

func entityName(e *rdap.Entity) string {
	if e.VCard == nil {
		return ""
	}
	if n := strings.TrimSpace(e.VCard.Name()); n != "" && !strings.Contains(strings.ToUpper(n), "REDACTED") {
		return oneLine(n)
	}
	return ""
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.TrimSpace(s)
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
		return min(time.Duration(n)*time.Second, 24*time.Hour)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, 24*time.Hour)
		}
	}
	return 0
}

// cleanErr says what went wrong without Go's wrapping noise.
func cleanErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	return err.Error()
}
