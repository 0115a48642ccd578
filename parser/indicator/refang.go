package indicator

// Refang undoes the defanging that analysts apply to indicators so that
// no mail client makes them links: hxxp, hXXp, h**p and fxp schemes, and
// the markers [.] (.) {.} [dot] (dot), [:] [://], [at] (at) [@], with
// spaces inside the brackets or around a dot or at marker
// ("example [.] com"). Other text is left as it is.
func Refang(s string) string {
	out, _ := refang([]byte(s), nil)
	return string(out)
}

// refang returns src with defanging undone. It returns src itself when
// there is nothing to undo. When marks is not nil it records the offsets
// in the result where a marker was replaced, so that the scanner can tell
// a defanged token ("report[.]zip", surely a domain) from a bare one
// ("report.zip", likely a file name).
//
// Every marker is recognised by a bounded look-ahead from its first byte
// and the output is only trimmed of spaces that were copied once, so the
// work is linear in len(src) whatever the input.
func refang(src []byte, marks *[]int) ([]byte, []int) {
	var out []byte
	var m []int
	if marks != nil {
		m = (*marks)[:0]
	}
	last := 0 // src[last:] is not yet copied to out
	for i := 0; i < len(src); i++ {
		c := src[i]
		if !refangStart[c] {
			continue
		}
		var rep string
		var n int // bytes of src replaced
		trim := false
		switch c {
		case '[', '(', '{':
			rep, n, trim = bracketMarker(src[i:])
			if n == 0 && i > 0 && i+2 < len(src) && src[i+1] == '.' && isAlnum(src[i-1]) && isAlnum(src[i+2]) {
				n = 1 // a stray bracket: "example[.com"
			}
		case ']', ')', '}':
			if i > 1 && i+1 < len(src) && src[i-1] == '.' && isAlnum(src[i-2]) && isAlnum(src[i+1]) {
				n = 1 // "example.]com"
			}
		case '.':
			rep, n, trim = spacedDot(src, i)
		case ':':
			rep, n, trim = spacedScheme(src, i)
		case 'h', 'H':
			rep, n = schemeMarker(src[i:], "http")
		case 'f', 'F':
			rep, n = schemeMarker(src[i:], "ftp")
		}
		if n == 0 {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(src))
		}
		out = append(out, src[last:i]...)
		if trim {
			for len(out) > 0 && (out[len(out)-1] == ' ' || out[len(out)-1] == '\t') {
				out = out[:len(out)-1]
			}
		}
		m = append(m, len(out))
		out = append(out, rep...)
		i += n
		if trim {
			for k := 0; k < 3 && i < len(src) && (src[i] == ' ' || src[i] == '\t'); k++ {
				i++
			}
		}
		last = i
		i-- // the loop's i++ moves to src[last]
	}
	if marks != nil {
		*marks = m
	}
	if out == nil {
		return src, m
	}
	return append(out, src[last:]...), m
}

// bracketMarker matches a defanging marker at the start of b: an opening
// bracket, up to three spaces, a token, up to three spaces and a closing
// bracket, of any kind since hand-written defangs mix them ("[.)"). trim
// says that spaces around the marker belong to it ("example [.] com").
func bracketMarker(b []byte) (rep string, n int, trim bool) {
	i := skipSpaces(b, 1)
	tok := b[i:]
	var tl int
	switch {
	case hasPrefixFold(tok, "://"):
		rep, tl = "://", 3
	case hasPrefixFold(tok, "dot"):
		rep, tl, trim = ".", 3, true
	case hasPrefixFold(tok, "at"):
		rep, tl, trim = "@", 2, true
	case hasPrefixFold(tok, "."):
		rep, tl, trim = ".", 1, true
	case hasPrefixFold(tok, "@"):
		rep, tl, trim = "@", 1, true
	case hasPrefixFold(tok, ":"):
		rep, tl = ":", 1
	case hasPrefixFold(tok, "/"):
		rep, tl = "/", 1
	default:
		return "", 0, false
	}
	i = skipSpaces(b, i+tl)
	if i >= len(b) || b[i] != ']' && b[i] != ')' && b[i] != '}' {
		return "", 0, false
	}
	// "(:)" is a smiley; only the square form [:] and [://] carries a
	// colon.
	if (rep == ":" || rep == "://") && (b[0] != '[' || b[i] != ']') {
		return "", 0, false
	}
	return rep, i + 1, trim
}

func skipSpaces(b []byte, i int) int {
	for k := 0; k < 3 && i < len(b) && (b[i] == ' ' || b[i] == '\t'); k++ {
		i++
	}
	return i
}

// schemeMarker matches a defanged scheme at the start of b: hxxp, hXXp,
// h**p, hxtp, htxp (want "http") or fxp (want "ftp"), an optional 's', then
// ':' or "[:" (as in "hxxp[:]//" and "hxxp[://]"). It returns the refanged scheme.
var schemeS = map[string]string{"http": "https", "ftp": "ftps"}

func schemeMarker(b []byte, want string) (string, int) {
	n := len(want)
	if len(b) < n+1 {
		return "", 0
	}
	changed := false
	for i := 1; i < n-1; i++ {
		switch c := lower(b[i]); {
		case c == want[i]:
		case c == 'x' || c == '*':
			changed = true
		default:
			return "", 0
		}
	}
	if lower(b[n-1]) != 'p' || !changed {
		return "", 0
	}
	rep := want
	if lower(b[n]) == 's' {
		rep = schemeS[want]
		n++
	}
	if n < len(b) && b[n] == ' ' {
		// "hxxps :// example.com": spacedMarker drops the spaces.
		if p := skipSpaces(b, n); hasPrefixFold(b[p:], "://") {
			return rep, n
		}
		return "", 0
	}
	if n >= len(b) || b[n] != ':' && !(b[n] == '[' && n+1 < len(b) && b[n+1] == ':') {
		return "", 0
	}
	return rep, n
}

// spacedDot matches a dot that spaces defang, at src[i]: spaces before
// it, and maybe after, between a name and a top-level domain ("example .
// com", "example .com"; not "example. com", which is how a sentence ends)
// or before the last group of a dotted quad ("2.2.2 . 2"). trim says that
// the spaces before belong to the marker.
func spacedDot(src []byte, i int) (rep string, n int, trim bool) {
	if i == 0 || src[i-1] != ' ' && src[i-1] != '\t' {
		return "", 0, false
	}
	l := i
	for l > 0 && i-l < 3 && (src[l-1] == ' ' || src[l-1] == '\t') {
		l--
	}
	if l == 0 || !isAlnum(src[l-1]) {
		return "", 0, false
	}
	q := skipSpaces(src, i+1)
	if isDigit(src[l-1]) && spacedQuad(src, l, i) {
		return ".", q - i, true
	}
	e := q
	for e < len(src) && e-q < 24 && ('a' <= lower(src[e]) && lower(src[e]) <= 'z') {
		e++
	}
	if e-q < 2 || e < len(src) && (isAlnum(src[e]) || src[e] == '-' || src[e] == '_') {
		return "", 0, false
	}
	var buf [24]byte
	label := buf[:0]
	for _, c := range src[q:e] {
		label = append(label, lower(c))
	}
	if !icannTLD(label) {
		return "", 0, false
	}
	return ".", q - i, true
}

// spacedScheme matches a "://" that spaces defang, at src[i]: after a
// scheme and spaces ("hxxps :// example.com"), or followed by spaces
// ("http:// example.com").
func spacedScheme(src []byte, i int) (rep string, n int, trim bool) {
	if !hasPrefixFold(src[i:], "://") {
		return "", 0, false
	}
	l := i
	for l > 0 && i-l < 3 && (src[l-1] == ' ' || src[l-1] == '\t') {
		l--
	}
	before := l < i && schemeEnds(src[:l])
	q := skipSpaces(src, i+3)
	if !before && q == i+3 {
		return "", 0, false
	}
	return "://", q - i, before
}

// spacedQuad says whether src[:i] ends with three dotted groups of
// digits and the text after the dot at src[p] is a fourth.
func spacedQuad(src []byte, i, p int) bool {
	groups, digits := 1, 0
	for k := i - 1; k >= 0 && i-k <= 11; k-- {
		c := src[k]
		switch {
		case isDigit(c):
			digits++
			if digits > 3 {
				return false
			}
			if k == 0 || !isDigit(src[k-1]) && src[k-1] != '.' {
				if groups != 3 || k > 0 && isAlnum(src[k-1]) {
					return false
				}
				q := skipSpaces(src, p+1)
				e := q
				for e < len(src) && isDigit(src[e]) && e-q < 4 {
					e++
				}
				return e > q && e-q <= 3 && (e == len(src) || !isAlnum(src[e]) && src[e] != '.')
			}
		case c == '.' && digits > 0:
			groups++
			digits = 0
		default:
			return false
		}
	}
	return false
}

// schemeEnds says whether b ends with a URL scheme, plain or defanged.
func schemeEnds(b []byte) bool {
	for _, s := range [...]string{"https", "http", "hxxps", "hxxp", "ftp", "fxp"} {
		if len(b) >= len(s) && hasPrefixFold(b[len(b)-len(s):], s) {
			return true
		}
	}
	return false
}
