package warninglists

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Set is a compiled group of warninglists. The zero value and nil match
// nothing. A Set is safe for concurrent use.
type Set struct {
	lists []compiled
	// exact holds string entries, names the hostname entries and the
	// string entries that cover subdomains; each maps to list indices.
	exact map[string][]int32
	names map[string][]int32
	// cidr holds the prefixes of each length, so that an address is
	// looked up once per length present rather than once per prefix.
	cidr   map[netip.Prefix][]int32
	v4bits []int
	v6bits []int
	subs   []substring
	res    []regex
}

type compiled struct {
	name  string
	kinds kind
}

type substring struct {
	s    string
	list int32
}

type regex struct {
	re   *regexp.Regexp
	list int32
}

// Compile builds a Set from lists. Entries a list cannot hold (a bad
// prefix in a cidr list, a regex RE2 cannot read) are skipped and
// returned as errors, each naming its list: one bad line of a checkout of
// thousands must not cost the rest.
func Compile(lists []*List) (*Set, []error) {
	s := &Set{exact: map[string][]int32{}, names: map[string][]int32{}, cidr: map[netip.Prefix][]int32{}}
	var errs []error
	sorted := append([]*List(nil), lists...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	v4, v6 := map[int]bool{}, map[int]bool{}
	for _, l := range sorted {
		k := kindsOf(l.MatchingAttributes)
		if k == 0 {
			continue
		}
		id := int32(len(s.lists))
		s.lists = append(s.lists, compiled{name: l.Name, kinds: k})
		bad := 0
		for _, e := range l.List {
			switch l.Type {
			case "string":
				if key, sub := hostKey(e, false); sub {
					s.names[key] = appendID(s.names[key], id)
				} else {
					v := strings.ToLower(strings.TrimSpace(e))
					s.exact[v] = appendID(s.exact[v], id)
					if key != v {
						s.exact[key] = appendID(s.exact[key], id)
					}
				}
			case "hostname":
				key, _ := hostKey(e, true)
				s.names[key] = appendID(s.names[key], id)
			case "cidr":
				p, ok := prefixOf(e)
				if !ok {
					bad++
					continue
				}
				s.cidr[p] = appendID(s.cidr[p], id)
				if p.Addr().Is4() {
					v4[p.Bits()] = true
				} else {
					v6[p.Bits()] = true
				}
			case "substring":
				if v := strings.ToLower(strings.TrimSpace(e)); v != "" {
					s.subs = append(s.subs, substring{s: v, list: id})
				}
			case "regex":
				re, err := regexOf(e)
				if err != nil {
					bad++
					continue
				}
				s.res = append(s.res, regex{re: re, list: id})
			}
		}
		if bad > 0 {
			errs = append(errs, fmt.Errorf("warninglist %q: %d of %d entries unreadable as %s, skipped", l.Name, bad, len(l.List), l.Type))
		}
	}
	s.v4bits, s.v6bits = bitsOf(v4), bitsOf(v6)
	return s, errs
}

func appendID(ids []int32, id int32) []int32 {
	if n := len(ids); n > 0 && ids[n-1] == id {
		return ids
	}
	return append(ids, id)
}

// bitsOf returns the prefix lengths present, longest first: the most
// specific range names the warning.
func bitsOf(m map[int]bool) []int {
	var out []int
	for b := range m {
		out = append(out, b)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(out)))
	return out
}

// Len returns the number of lists in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.lists)
}

// Names returns the names of the lists in the set.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	out := make([]string, len(s.lists))
	for i, l := range s.lists {
		out[i] = l.name
	}
	return out
}

// Match returns the name of the first list (by name) that covers value,
// a normalised indicator of the parse contract's type typ (url, domain,
// ipv4, ipv6, email, md5, sha1, sha256, cve).
//
// A name is covered by an equal entry, and by an entry above it that
// covers subdomains, but never across a public-suffix boundary: the
// Public Suffix List's private section says that x.web.app and
// x.github.io belong to their own owners, so an entry web.app covers
// web.app alone. A URL is matched as a whole (string, substring and
// regex lists); only a URL that is its bare host ("https://bit.ly/") is
// also matched by its host, since a path on a platform is the phish.
func (s *Set) Match(typ, value string) (string, bool) {
	if s == nil || len(s.lists) == 0 || value == "" {
		return "", false
	}
	k := kindOf(typ)
	if k == 0 {
		return "", false
	}
	v := value
	if k != kURL {
		v = strings.ToLower(value)
	}
	if id, ok := s.first(s.exact[v], k); ok {
		return s.lists[id].name, true
	}
	switch k {
	case kDomain:
		if id, ok := s.name(v, k); ok {
			return s.lists[id].name, true
		}
	case kIP:
		if id, ok := s.ip(v, k); ok {
			return s.lists[id].name, true
		}
	case kURL:
		if id, ok := s.bareURL(v); ok {
			return s.lists[id].name, true
		}
	}
	if id, ok := s.pattern(value, k); ok {
		return s.lists[id].name, true
	}
	return "", false
}

// first returns the first list of ids that applies to kind k.
func (s *Set) first(ids []int32, k kind) (int32, bool) {
	for _, id := range ids {
		if s.lists[id].kinds&k != 0 {
			return id, true
		}
	}
	return 0, false
}

// name looks up a domain and the names above it, down to its registrable
// domain (public suffix plus one label, private section included).
func (s *Set) name(v string, k kind) (int32, bool) {
	if ids, ok := s.names[v]; ok {
		if id, ok := s.first(ids, k); ok {
			return id, true
		}
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(v)
	if err != nil {
		return 0, false
	}
	reg = userSiteOwner(v, reg)
	for parent := v; len(parent) > len(reg); {
		i := strings.IndexByte(parent, '.')
		if i < 0 {
			break
		}
		parent = parent[i+1:]
		if ids, ok := s.names[parent]; ok {
			if id, ok := s.first(ids, k); ok {
				return id, true
			}
		}
	}
	return 0, false
}

func (s *Set) ip(v string, k kind) (int32, bool) {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return 0, false
	}
	a = a.Unmap()
	bits := s.v6bits
	if a.Is4() {
		bits = s.v4bits
	}
	for _, b := range bits {
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		if id, ok := s.first(s.cidr[p], k); ok {
			return id, true
		}
	}
	return 0, false
}

// bareURL matches a URL that is only its host by that host, with the
// lists that apply to URLs.
func (s *Set) bareURL(v string) (int32, bool) {
	// Most URLs have a path: tell them without parsing.
	if i := strings.Index(v, "://"); i >= 0 {
		rest := v[i+3:]
		if j := strings.IndexAny(rest, "/?#"); j >= 0 && rest[j:] != "/" {
			return 0, false
		}
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return 0, false
	}
	h := strings.ToLower(u.Hostname())
	if id, ok := s.first(s.exact[h], kURL); ok {
		return id, true
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return s.ip(h, kURL)
	}
	return s.name(h, kURL)
}

func (s *Set) pattern(v string, k kind) (int32, bool) {
	if len(s.subs) > 0 {
		lv := strings.ToLower(v)
		for _, e := range s.subs {
			if s.lists[e.list].kinds&k != 0 && strings.Contains(lv, e.s) {
				return e.list, true
			}
		}
	}
	for _, e := range s.res {
		if s.lists[e.list].kinds&k != 0 && e.re.MatchString(v) {
			return e.list, true
		}
	}
	return 0, false
}

// userSites are platforms that give each user a name below theirs, as the
// Public Suffix List's private section does for web.app and github.io,
// but that are not on that list: a tenant.sharepoint.com or a
// x.weebly.com is its user's, and the home of many a phish, though
// tranco10k lists sharepoint.com.
var userSites = map[string]bool{
	"sharepoint.com": true, "my.sharepoint.com": true, "weebly.com": true, "000webhostapp.com": true,
	"glitch.me": true, "godaddysites.com": true, "square.site": true, "mystrikingly.com": true,
	"webflow.io": true, "carrd.co": true, "wordpress.com": true, "blogspot.com": true, "tumblr.com": true,
	"typeform.com": true, "jotform.com": true, "zendesk.com": true, "freshdesk.com": true, "atlassian.net": true,
	"myshopify.com": true, "wixstudio.io": true, "framer.website": true, "framer.app": true, "gitbook.io": true,
	"surge.sh": true, "replit.app": true, "repl.co": true, "onrender.com": true, "fly.dev": true, "ngrok-free.app": true,
}

// userSiteOwner returns the name a user owns below a platform of
// userSites, when that is longer than reg, the registrable domain.
func userSiteOwner(v, reg string) string {
	for i := 0; i < len(v); i++ {
		if v[i] != '.' {
			continue
		}
		if userSites[v[i+1:]] {
			// v[:i] holds the user's labels; the owner is the last one.
			start := strings.LastIndexByte(v[:i], '.') + 1
			if owner := v[start:]; len(owner) > len(reg) {
				return owner
			}
			return reg
		}
	}
	return reg
}
