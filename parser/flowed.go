package parser

import (
	"mime"
	"strings"
)

// flowed says whether a text/plain part whose Content-Type field is ctype
// is format=flowed (RFC 3676), and whether its soft line breaks delete
// the space before them (DelSp=yes). enmime leaves the parameters of the
// top part out of ContentTypeParams: the field is read here.
func flowed(ctype string) (isFlowed, delSp bool) {
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil && params == nil {
		return false, false
	}
	for k, v := range params {
		switch strings.ToLower(k) {
		case "format":
			isFlowed = strings.EqualFold(strings.TrimSpace(v), "flowed")
		case "delsp":
			delSp = strings.EqualFold(strings.TrimSpace(v), "yes")
		}
	}
	return isFlowed, delSp
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676
// section 4), as Thunderbird and Apple Mail write it: a line that ends in
// a space goes on with the next line of the same quote depth. Space
// stuffing (4.4) is undone; with DelSp=yes (4.2) the space before a soft
// break is not part of the text. The signature separator "-- " is never
// a soft break (4.3). Quoted lines keep their depth, written "> " again,
// so that quotes are still found.
func unflow(text string, delSp bool) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	trailing := strings.HasSuffix(text, "\n")
	text = strings.TrimSuffix(text, "\n")
	var b strings.Builder
	b.Grow(len(text))
	open := false // a flowed line is waiting for its continuation
	openDepth := 0
	for _, line := range strings.Split(text, "\n") {
		depth := 0
		for depth < len(line) && line[depth] == '>' {
			depth++
		}
		content := line[depth:]
		// 4.4: a space after the quote marks, or at the start of an
		// unquoted line, is stuffing.
		content = strings.TrimPrefix(content, " ")
		if open && depth != openDepth {
			// 4.5: a change of depth ends the paragraph.
			b.WriteString("\n")
			open = false
		}
		if !open && depth > 0 {
			b.WriteString(strings.Repeat(">", depth) + " ")
		}
		soft := strings.HasSuffix(content, " ") && content != "-- "
		if soft && delSp {
			content = content[:len(content)-1]
		}
		b.WriteString(content)
		if soft {
			open, openDepth = true, depth
			continue
		}
		open = false
		b.WriteString("\n")
	}
	out := strings.TrimSuffix(b.String(), "\n")
	if trailing {
		out += "\n"
	}
	return out
}
