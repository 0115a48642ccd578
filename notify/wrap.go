package notify

import (
	"strings"
	"unicode/utf8"
)

// lineWidth is where plain text is wrapped: 72 columns, so that a quote
// or two in a reply still fits in 78 (RFC 5322 section 2.1.1; RFC 3676
// section 4.2 recommends 66-72 for text).
const lineWidth = 72

// wrap wraps the lines of plain text longer than width at spaces. A word
// longer than a line (a URL, defanged or not, a hash) is never broken: it
// goes on a line of its own, so that it can be copied whole. A
// continuation keeps the line's indent and quote marks; the signature
// separator and lines with no space to break at are left as they are.
func wrap(text string, width int) string {
	if !strings.Contains(text, "\n") && utf8.RuneCountInString(text) <= width {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + len(text)/20)
	for i, line := range strings.Split(text, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		line = strings.TrimSuffix(line, "\r")
		if utf8.RuneCountInString(line) <= width {
			b.WriteString(line)
			continue
		}
		wrapLine(&b, line, width)
	}
	return b.String()
}

func wrapLine(b *strings.Builder, line string, width int) {
	// The prefix a continuation repeats: indent and quote marks.
	p := 0
	for p < len(line) && (line[p] == ' ' || line[p] == '\t' || line[p] == '>') {
		p++
	}
	prefix, rest := line[:p], line[p:]
	if strings.HasPrefix(rest, "- ") || strings.HasPrefix(rest, "* ") {
		// A list item's continuation lines up with its text.
		prefix, rest = prefix+"  ", rest[2:]
		b.WriteString(line[:p] + line[p:p+2])
	} else {
		b.WriteString(prefix)
	}
	col := utf8.RuneCountInString(prefix)
	start := col
	for _, w := range strings.Fields(rest) {
		n := utf8.RuneCountInString(w)
		switch {
		case col == start:
		case col+1+n <= width:
			b.WriteByte(' ')
			col++
		default:
			b.WriteString("\n" + prefix)
			col = utf8.RuneCountInString(prefix)
		}
		if col > start && col+n > width {
			b.WriteString("\n" + prefix)
			col = utf8.RuneCountInString(prefix)
		}
		b.WriteString(w)
		col += n
	}
}
