package indicator

import (
	"bytes"
	"sort"
)

// scanner holds one pass of Extract over refanged text.
//
// The text is read as runs of host-name bytes (letters, digits, '-', '_',
// '.' and non-ASCII letters). Each run is visited once; the byte after it
// says what it may start: "://" a URL, '@' an address, ':' an IPv6
// address; otherwise the run itself may be a domain, an IPv4 address, a
// hash or a CVE name. A URL, an address or an IPv6 address that validates
// is skipped as a whole; one that does not is left to the run loop, so
// that its parts are still seen. Every look-around is bounded or consumes
// what it reads, which keeps the scan linear and free of regexp
// backtracking.
type scanner struct {
	x     *Extractor
	buf   []byte
	marks []int // offsets in buf where refang replaced a marker
	emit  func(Indicator) bool
	stop  bool
}

// run flags, collected while a run is read.
const (
	fDot    = cDot
	fNonHex = cNonHex
	fNonIP  = cNonIP
	fUTF8   = cAlnum // a bit of class that runEnd masks out
)

func (s *scanner) send(ind Indicator) {
	if !s.stop && !s.emit(ind) {
		s.stop = true
	}
}

func (s *scanner) scan() {
	buf := s.buf
	n := len(buf)
	for i := 0; i < n && !s.stop; {
		c := buf[i]
		if c < 0x80 && class[c]&cHost == 0 {
			if c == ':' && i+1 < n && buf[i+1] == ':' {
				if end, ok := s.ipv6(i); ok || end > i {
					i = end
					continue
				}
			}
			i++
			continue
		}
		j, f := runEnd(buf, i)
		if j == i {
			// A non-ASCII rune that is not a letter, or invalid UTF-8.
			size, _ := wordRune(buf[i:])
			i += size
			continue
		}
		if j < n {
			switch next := buf[j]; {
			case next == ':' && j+2 < n && buf[j+1] == '/' && buf[j+2] == '/':
				if end, ok := s.url(i, j); ok {
					i = end
					continue
				}
			case next == '@':
				if end, ok := s.email(j); ok || end > i {
					// A failed address is still skipped: its local part
					// is never a domain (ceo.fraud.xyz@gmail.com).
					i = end
					continue
				}
			case next == ':' && f&fUTF8 == 0:
				// An IPv6 address starts with a group of up to four hex
				// digits; a sentence's dots may come before it.
				k := i
				for k < j && buf[k] == '.' {
					k++
				}
				if j-k <= 4 && allHex(buf[k:j]) {
					if end, ok := s.ipv6(k); ok || end > k {
						i = end
						continue
					}
				}
			case next < 0x80 && class[next]&cAtext != 0 && s.beforeAt(i, j):
				// The run is the start of a local part ("john.doe" in
				// john.doe+news@example.com), not a domain.
				i = j
				continue
			}
		}
		i = s.word(i, j, f)
	}
}

// runEnd returns the end of the run of host-name bytes at buf[i], and the
// run's flags.
func runEnd(buf []byte, i int) (int, uint8) {
	var f uint8
	for i < len(buf) {
		c := buf[i]
		if c < 0x80 {
			k := class[c]
			if k&cHost == 0 {
				break
			}
			f |= k & (fDot | fNonHex | fNonIP)
			i++
			continue
		}
		size, ok := wordRune(buf[i:])
		if !ok {
			break
		}
		f |= fUTF8 | fNonHex | fNonIP
		i += size
	}
	return i, f
}

// beforeAt reports whether the run buf[i:j] is part of the local part of
// an address whose '@' comes after more atext.
func (s *scanner) beforeAt(i, j int) bool {
	for k := j; k < len(s.buf) && k-j < maxLocal; k++ {
		c := s.buf[k]
		if c == '@' {
			ls := localStart(s.buf, k)
			return ls <= i && validLocal(s.buf[ls:k])
		}
		if c >= 0x80 || class[c]&cAtext == 0 {
			return false
		}
	}
	return false
}

func (s *scanner) defanged(start, end int) bool {
	k := sort.SearchInts(s.marks, start)
	return k < len(s.marks) && s.marks[k] < end
}

// word looks at a run that starts nothing else, and returns where the
// scan goes on: after the run, or after the path of a URL written without
// its scheme.
func (s *scanner) word(i, j int, f uint8) int {
	end := j
	b := s.buf[i:j]
	if f&fDot == 0 {
		if f&fNonHex == 0 {
			s.hash(i, b)
		} else if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') && !(len(b) == 42 && mixedCase(b[2:])) {
			// 0x and 40 hex digits in mixed case is an Ethereum address
			// with its EIP-55 checksum, not a SHA-1.
			s.hash(i+2, b[2:])
		} else if len(b) >= 13 && (b[0] == 'c' || b[0] == 'C') {
			s.cves(b)
		}
		return end
	}
	// A full stop, a leading ellipsis or a dash around a name is prose.
	for len(b) > 0 && (b[0] == '.' || b[0] == '-') {
		b, i = b[1:], i+1
	}
	for len(b) > 0 && (b[len(b)-1] == '.' || b[len(b)-1] == '-' || b[len(b)-1] == '_') {
		b, j = b[:len(b)-1], j-1
	}
	if f&fNonIP == 0 {
		if a, ok := parseIPv4(b); ok {
			if ind, ok := ipIndicator(a); ok {
				s.send(ind)
			}
		}
		return end
	}
	found, whole := false, bytes.Index(b, []byte("..")) < 0
	// "see...example.com": an ellipsis splits names.
	for len(b) > 0 {
		piece := b
		if k := bytes.Index(b, []byte("..")); k >= 0 {
			piece, b = b[:k], bytes.TrimLeft(b[k:], ".")
		} else {
			b = nil
		}
		if len(piece) < 4 || len(piece) > 4*maxName {
			continue
		}
		ctx := hostContext{bare: true, defanged: s.defanged(i, j)}
		if name, ok := s.x.hostName(piece, ctx); ok {
			// Only a name written defanged, or a www. name, is taken
			// for a URL without its scheme: "github.com/org/repo" in
			// prose is as often a reference as a link.
			if whole && (ctx.defanged || hasPrefixFold(piece, "www.")) {
				if e, ok := s.schemeless(i, j); ok {
					return e
				}
			}
			s.send(Indicator{Type: Domain, Value: name})
			found = true
		}
	}
	if !found {
		found = s.gluedIPv4(s.buf[i:j])
	}
	if !found && j-i >= 13 {
		s.cves(s.buf[i:j])
		s.hashes(i, s.buf[i:j])
	}
	return end
}

// schemeless reads a URL written without its scheme, a domain at
// buf[i:j] followed by a path ("evil[.]com/x.php", "www.example.com/login"),
// as browsers do: http. A domain inside a path or after a drive letter is
// left alone.
func (s *scanner) schemeless(i, j int) (int, bool) {
	buf := s.buf
	if j+1 >= len(buf) || buf[j] != '/' || buf[j+1] == '/' || buf[j+1] <= ' ' {
		return 0, false
	}
	if i > 0 && (buf[i-1] == '/' || buf[i-1] == '\\' || buf[i-1] == ':' || buf[i-1] == '@') {
		return 0, false
	}
	e := urlChars(buf, j, min(len(buf), i+4*maxURL), false)
	span := trimURL(cutMarkdown(cutAtCloser(buf, i, buf[i:e])))
	if len(span) <= j-i+1 {
		return 0, false
	}
	full := make([]byte, 0, len("http://")+len(span))
	full = append(append(full, "http://"...), span...)
	u, pu, ok := s.x.normalizeURL(full, 0)
	if !ok {
		return 0, false
	}
	s.send(Indicator{Type: URL, Value: u})
	s.related(URL, u, pu)
	s.embedded(u)
	return i + len(span), true
}

// gluedIPv4 emits the dotted quads written against letters in a run that
// is no domain ("Source IP:8.8.8.8was", "words1.1.1.1words", what HTML
// rendering and copy-paste leave). A quad after a lone 'v' is a version.
func (s *scanner) gluedIPv4(b []byte) bool {
	found := false
	for k := 0; k < len(b); k++ {
		if !isDigit(b[k]) || k > 0 && (isDigit(b[k-1]) || b[k-1] == '.') {
			continue
		}
		e := k
		for e < len(b) && (isDigit(b[e]) || b[e] == '.') {
			e++
		}
		q := b[k:e]
		if q[len(q)-1] == '.' {
			k = e // "1.1.1.1.a": a name, not an address glued to a word
			continue
		}
		if k == 1 && (b[0] == 'v' || b[0] == 'V') {
			k = e
			continue
		}
		if a, ok := parseIPv4(q); ok {
			if ind, ok := ipIndicator(a); ok {
				s.send(ind)
				found = true
			}
		}
		k = e
	}
	return found
}

// mixedCase reports whether b holds both upper- and lower-case letters.
func mixedCase(b []byte) bool {
	up, low := false, false
	for _, c := range b {
		up = up || 'A' <= c && c <= 'Z'
		low = low || 'a' <= c && c <= 'z'
	}
	return up && low
}

// hash emits b, found at buf[at], if it is a hash: the run is bounded by
// bytes that are not host-name bytes, so b is a whole word.
func (s *scanner) hash(at int, b []byte) {
	t := hashType(len(b))
	if t == "" || notFileHash(s.buf[:at]) {
		return
	}
	if v, ok := hexLower(b); ok {
		s.send(Indicator{Type: t, Value: v})
	}
}

// hashes emits the hashes among the parts of b between '.' and '-'
// ("d41d8cd98f00b204e9800998ecf8427e.exe").
func (s *scanner) hashes(at int, b []byte) {
	start := 0
	for k := 0; k <= len(b); k++ {
		if k < len(b) && b[k] != '.' && b[k] != '-' {
			continue
		}
		s.hash(at+start, b[start:k])
		start = k + 1
	}
}

// cves emits the CVE names in b, at the starts of words.
func (s *scanner) cves(b []byte) {
	for k := 0; k+13 <= len(b); k++ {
		if (b[k] == 'c' || b[k] == 'C') && (k == 0 || !isAlnum(b[k-1])) {
			if v, n := cveAt(b[k:]); n > 0 {
				s.send(Indicator{Type: CVE, Value: v})
				k += n - 1
			}
		}
	}
}

// ipv6 tries an IPv6 address starting at buf[i] and returns its end. When
// the run of hex digits, colons and dots is too long to be one, it returns
// the run's end and false, for the caller to skip it whole: retrying from
// each colon would make "::::..." quadratic in the address length.
func (s *scanner) ipv6(i int) (int, bool) {
	const maxIPv6 = len("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")
	buf := s.buf
	j := i
	for j < len(buf) && (isHexDigit(buf[j]) || buf[j] == ':' || buf[j] == '.') {
		j++
	}
	if j-i > maxIPv6+1 {
		return j, false
	}
	end := j
	// A sentence may end on an address, or a port may follow its last
	// group in prose: drop a trailing dot or a single trailing colon.
	for end > i && buf[end-1] == '.' {
		end--
	}
	if end-i >= 2 && buf[end-1] == ':' && buf[end-2] != ':' {
		end--
	}
	if end-i > maxIPv6 || j < len(buf) && (isAlnum(buf[j]) || buf[j] == '_') {
		return 0, false
	}
	a, ok := parseIP(buf[i:end])
	if !ok {
		return 0, false
	}
	if ind, ok := ipIndicator(a); ok {
		s.send(ind)
	}
	return end, true
}

// url tries a URL whose scheme ends the run buf[i:colon].
func (s *scanner) url(i, colon int) (int, bool) {
	scheme := schemeBefore(s.buf[i:colon])
	if scheme == "" {
		return 0, false
	}
	start := colon - len(scheme)
	buf := s.buf
	// Check the host before reading the rest: a failed attempt then costs
	// only its authority, which ends at the next '/', so that text like
	// "http://ahttp://ahttp://a..." stays linear.
	j := urlChars(buf, colon+3, colon+maxAuthority, true)
	auth := cutAtCloser(buf, start, buf[start:j])
	if j-colon >= maxAuthority {
		return 0, false
	}
	rawAuth := len(auth)
	auth = trimURL(auth)
	pu, ok := s.x.parseURL(auth)
	if !ok {
		return 0, false
	}
	j = urlChars(buf, j, len(buf), false)
	// A URL quoted or bracketed in text ends at the closing quote or
	// bracket: 'https://example.com/a');  [https://example.com](...)
	span := cutAtCloser(buf, start, buf[start:j])
	span = trimURL(cutMarkdown(span))
	end := start + len(span)
	var u string
	if len(auth) == rawAuth && len(span) >= len(auth) {
		pu.rest = span[len(auth):]
		u, pu, ok = s.x.normalizeParsed(pu, 0)
	} else {
		u, pu, ok = s.x.normalizeURL(span, 0)
	}
	if !ok {
		if !pu.host.isZero() {
			// Valid host, but the URL is too long to keep.
			s.send(pu.host)
			return end, true
		}
		return 0, false
	}
	s.send(Indicator{Type: URL, Value: u})
	s.related(URL, u, pu)
	s.embedded(u)
	return end, true
}

// embedded emits what a URL names in its query or, for an analysis
// service, in its path.
func (s *scanner) embedded(u string) {
	for _, ind := range s.x.embedded(u, nil) {
		s.send(ind)
	}
}

// maxAuthority bounds the authority of a URL in text: userinfo, a
// 253-byte host and a port, with room for percent-encoding.
const maxAuthority = 1024

// closerOf returns the byte that closes an opening quote or square
// bracket that may hold a URL, or 0. Parentheses are left to trimURL's
// balancing: URLs hold them.
func closerOf(c byte) byte {
	switch c {
	case '\'', '`':
		return c
	case '[':
		return ']'
	}
	return 0
}

// related emits what a URL implies: its host, or for a Mimecast link the
// domain it names.
func (s *scanner) related(_ Type, u string, pu parsedURL) {
	if d, ok := mimecastDomain(u); ok {
		if name, ok := s.x.hostName([]byte(d), hostContext{}); ok {
			s.send(Indicator{Type: Domain, Value: name})
		}
		return
	}
	s.send(pu.host)
}

// email tries an address whose '@' is at buf[at]. When the address is
// not one, but its local part is, it returns where to skip to: past the
// local part, and past the domain too when that was read as one.
func (s *scanner) email(at int) (int, bool) {
	buf := s.buf
	ls := localStart(buf, at)
	local := buf[ls:at]
	if !validLocal(local) {
		return 0, false
	}
	j, f := runEnd(buf, at+1)
	if ls > 0 && buf[ls-1] == '@' && !(ls > 1 && buf[ls-2] == '\\') || j < len(buf) && buf[j] == '@' {
		// a@b@c.com: no address (RFC 5322 allows one '@' outside
		// quotes), and no part of it is one either.
		for j < len(buf) && (buf[j] == '@' || buf[j] < 0x80 && class[buf[j]]&cAtext != 0) {
			j++
		}
		return j, false
	}
	if f&fDot == 0 {
		return at, false
	}
	d := buf[at+1 : j]
	for len(d) > 0 && (d[len(d)-1] == '.' || d[len(d)-1] == '-' || d[len(d)-1] == '_') {
		d = d[:len(d)-1]
	}
	if len(d) > 4*maxName {
		return at, false
	}
	name, ok := s.x.hostName(d, hostContext{})
	if !ok {
		return at + 1 + len(d), false
	}
	s.send(Indicator{Type: Email, Value: emailValue(local, name)})
	s.send(Indicator{Type: Domain, Value: name})
	return at + 1 + len(d), true
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHexDigit(c) {
			return false
		}
	}
	return true
}

func (ind Indicator) isZero() bool { return ind.Type == "" }

// urlChars advances from j over the characters a URL may hold, up to
// limit; authority stops it at the end of the authority ('/', '?', '#').
func urlChars(buf []byte, j, limit int, authority bool) int {
	limit = min(limit, len(buf))
	for j < limit {
		c := buf[j]
		if authority && (c == '/' || c == '?' || c == '#') {
			break
		}
		if c < 0x80 {
			if class[c]&cURL == 0 {
				break
			}
			j++
			continue
		}
		size, ok := urlRune(buf[j:])
		if !ok {
			break
		}
		j += size
	}
	return j
}

// cutMarkdown ends a URL where Markdown links run on after it:
// "[a](https://x.example/a)[b](...)" and "[![i](https://x.example/i.png)](...)".
// The ')' is kept for trimURL to balance.
func cutMarkdown(span []byte) []byte {
	for k := bytes.IndexByte(span, ')'); k >= 0 && k+1 < len(span); {
		if n := span[k+1]; n == '[' || n == ']' && k+2 < len(span) && span[k+2] == '(' {
			return span[:k+1]
		}
		next := bytes.IndexByte(span[k+1:], ')')
		if next < 0 {
			break
		}
		k += 1 + next
	}
	return span
}

// cutAtCloser ends span, a URL that starts at buf[start], at the quote or
// bracket that closes the one before it in the text.
func cutAtCloser(buf []byte, start int, span []byte) []byte {
	if start > 0 {
		if closer := closerOf(buf[start-1]); closer != 0 {
			if k := bytes.IndexByte(span, closer); k >= 0 {
				return span[:k]
			}
		}
	}
	return span
}
