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
// continuation keeps the line's indent and quote marks. What a wrapped
// line of prose leaves over is joined to the next line of the same
// paragraph, so that defanging a URL ("hxxp", "[.]") does not leave a
// word alone on a line. Indented lines (lists, the indicators) are never
// joined; the signature separator is left as it is.
func wrap(text string, width int) string {
	if !strings.Contains(text, "\n") && utf8.RuneCountInString(text) <= width {
		return text
	}
	var out []string
	open := false // the last line out is the rest of a wrapped line of prose
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if open && continues(out[len(out)-1], line) {
			prev := out[len(out)-1]
			q := quotePrefix(line)
			line = prev + " " + strings.TrimLeft(line[len(q):], " ")
			out = out[:len(out)-1]
		}
		open = false
		if utf8.RuneCountInString(line) <= width {
			out = append(out, line)
			continue
		}
		var b strings.Builder
		wrapLine(&b, line, width)
		wrapped := strings.Split(b.String(), "\n")
		out = append(out, wrapped...)
		rest := line[len(quotePrefix(line)):]
		open = len(wrapped) > 1 && !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "\t") &&
			!strings.HasPrefix(rest, "- ") && !strings.HasPrefix(rest, "* ")
	}
	return strings.Join(out, "\n")
}

// quotePrefix is the quote marks at the start of a line, with the space
// after each: "> > ".
func quotePrefix(line string) string {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
		if i < len(line) && line[i] == ' ' {
			i++
		}
	}
	return line[:i]
}

// continues says whether line goes on with the paragraph whose last line
// is prev: same quote marks, words that start no list, no indent.
func continues(prev, line string) bool {
	q := quotePrefix(line)
	if q != quotePrefix(prev) {
		return false
	}
	rest := line[len(q):]
	if strings.TrimSpace(rest) == "" || strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t") || rest == "-- " {
		return false
	}
	switch rest[0] {
	case '-', '*', '#', '+':
		return false
	}
	return true
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
