package outlook

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/hospital-league/leaguemail/parser/codepage"
)

// htmlFromRTF recovers the HTML that Outlook encapsulated in RTF, following
// [MS-OXRTFEX] 2.1.3: it is there only when the header has \fromhtml1. The
// HTML is the text of the {\*\htmltag ...} groups plus the document text
// outside them that is not between \htmlrtf and \htmlrtf0. It returns ""
// for RTF that does not encapsulate HTML.
func htmlFromRTF(rtf []byte) string {
	head := rtf
	if len(head) > 1024 {
		head = head[:1024]
	}
	if !bytes.Contains(head, []byte(`\fromhtml1`)) {
		return ""
	}
	d := &deencap{in: rtf, cp: codepage.Default}
	d.run()
	d.flush()
	return d.out.String()
}

// group is the state an RTF group opens with and restores when it closes.
type group struct {
	skip    bool // a destination whose text is not HTML
	htmltag bool // inside {\*\htmltag}: emit everything
	htmlrtf bool // between \htmlrtf and \htmlrtf0: RTF-only text
	uc      int  // bytes to skip after \uN ([MS-RTF] \ucN)
}

type deencap struct {
	in      []byte
	i       int
	cp      int
	st      group
	stack   []group
	pending []byte // 8-bit text in code page cp, not yet decoded
	out     bytes.Buffer
}

// Destinations whose content is never part of the HTML.
var skipDestinations = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true,
	"pict": true, "object": true, "header": true, "footer": true,
	"listtable": true, "listoverridetable": true, "themedata": true,
	"colorschememapping": true, "datastore": true, "latentstyles": true,
	"generator": true, "rsidtbl": true, "xmlnstbl": true, "filetbl": true,
	"revtbl": true, "mhtmltag": true,
}

func (d *deencap) emit(c byte) {
	if d.st.skip || (d.st.htmlrtf && !d.st.htmltag) {
		return
	}
	d.pending = append(d.pending, c)
}

func (d *deencap) emitRune(r rune) {
	if d.st.skip || (d.st.htmlrtf && !d.st.htmltag) {
		return
	}
	d.flush()
	d.out.WriteRune(r)
}

func (d *deencap) flush() {
	if len(d.pending) > 0 {
		d.out.WriteString(codepage.Decode(d.pending, d.cp))
		d.pending = d.pending[:0]
	}
}

func (d *deencap) run() {
	d.st.uc = 1
	for d.i < len(d.in) {
		c := d.in[d.i]
		d.i++
		switch c {
		case '{':
			// Bound the nesting: hostile RTF may open groups forever.
			if len(d.stack) > 1000 {
				return
			}
			d.stack = append(d.stack, d.st)
			d.openGroup()
		case '}':
			if len(d.stack) == 0 {
				return
			}
			d.st = d.stack[len(d.stack)-1]
			d.stack = d.stack[:len(d.stack)-1]
		case '\\':
			d.control()
		case '\r', '\n':
			// Line breaks in RTF source are not text ([MS-RTF]).
		default:
			d.emit(c)
		}
	}
}

// openGroup looks at what starts a group: {\*\htmltag is HTML, {\*\other
// and the known destinations are skipped.
func (d *deencap) openGroup() {
	rest := d.in[d.i:]
	if bytes.HasPrefix(rest, []byte(`\*\`)) {
		word, _, _ := controlWord(rest[3:])
		if word == "htmltag" {
			d.st.htmltag = true
			d.st.skip = false
		} else {
			d.st.skip = true
		}
		return
	}
	if bytes.HasPrefix(rest, []byte(`\`)) {
		if word, _, _ := controlWord(rest[1:]); skipDestinations[word] {
			d.st.skip = true
		}
	}
}

// controlWord splits a control word off b (after its backslash): the
// letters, the optional signed number, and the length consumed, including
// one delimiting space.
func controlWord(b []byte) (word string, num *int, n int) {
	for n < len(b) && n < 32 && (b[n] >= 'a' && b[n] <= 'z' || b[n] >= 'A' && b[n] <= 'Z') {
		n++
	}
	word = string(b[:n])
	start := n
	if n < len(b) && b[n] == '-' {
		n++
	}
	for n < len(b) && n-start < 10 && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	if n > start && !(n == start+1 && b[start] == '-') {
		if v, err := strconv.Atoi(string(b[start:n])); err == nil {
			num = &v
		}
	} else {
		n = start
	}
	if n < len(b) && b[n] == ' ' {
		n++
	}
	return word, num, n
}

func (d *deencap) control() {
	if d.i >= len(d.in) {
		return
	}
	c := d.in[d.i]
	switch {
	case c == '\\' || c == '{' || c == '}':
		d.i++
		d.emit(c)
		return
	case c == '\'':
		// \'hh: one byte in the code page.
		if d.i+3 > len(d.in) {
			d.i = len(d.in)
			return
		}
		if v, err := strconv.ParseUint(string(d.in[d.i+1:d.i+3]), 16, 8); err == nil {
			d.emit(byte(v))
		}
		d.i += 3
		return
	case c == '~':
		d.i++
		d.emitRune('\u00a0')
		return
	case !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
		d.i++ // other control symbols: \- \_ \* \: ...
		return
	}
	word, num, n := controlWord(d.in[d.i:])
	d.i += n
	switch word {
	case "htmlrtf":
		d.st.htmlrtf = num == nil || *num != 0
	case "ansicpg":
		if num != nil {
			d.flush()
			d.cp = *num
		}
	case "uc":
		if num != nil && *num >= 0 && *num < 10 {
			d.st.uc = *num
		}
	case "u":
		if num != nil {
			r := rune(*num)
			if r < 0 {
				r += 65536 // [MS-RTF]: \uN is a signed 16-bit value
			}
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			d.emitRune(r)
			d.skipFallback()
		}
	case "par", "line":
		d.emit('\r')
		d.emit('\n')
	case "tab":
		d.emit('\t')
	}
}

// skipFallback skips the uc characters that follow \uN for readers that do
// not know Unicode: plain bytes or \'hh escapes.
func (d *deencap) skipFallback() {
	for k := 0; k < d.st.uc && d.i < len(d.in); k++ {
		switch {
		case d.in[d.i] == '\\' && d.i+1 < len(d.in) && d.in[d.i+1] == '\'':
			d.i += 4
		case d.in[d.i] == '{' || d.in[d.i] == '}' || d.in[d.i] == '\\':
			return
		default:
			d.i++
		}
	}
	if d.i > len(d.in) {
		d.i = len(d.in)
	}
}
