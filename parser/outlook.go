package parser

import (
	"strings"

	"github.com/hospital-league/leaguemail/parser/outlook"
)

// outlookTop reads an Outlook .msg file given as the mail itself (a
// report saved from Outlook and dropped into `leaguemail ingest`): its
// sender is the reporter, its attachments are at depth 0.
func (p *parse) outlookTop(raw []byte) {
	m := p.msg
	msg, err := outlook.Read(raw, outlook.Limits{MaxDepth: p.opts.Limits.MaxNesting, MaxBytes: p.opts.Limits.MaxDecoded})
	if err != nil {
		m.notMail = true
		m.Kind = KindReport
		m.Errors = append(m.Errors, "not a mail: "+err.Error())
		return
	}
	for _, e := range msg.Errors {
		p.errorf("outlook: %s", e)
	}
	h := rawHeader([]byte(msg.Headers + "\r\n\r\n"))
	envelope(m, h)
	m.Errors = m.Errors[:0:0]
	if m.From == "" {
		m.From, m.FromName = strings.ToLower(msg.From), msg.FromName
	}
	if m.Subject == "" {
		m.Subject = strings.Join(strings.Fields(msg.Subject), " ")
	}
	if m.MessageID == "" {
		m.MessageID = firstID(msg.MessageID)
	}
	if m.Date.IsZero() {
		m.Date = msg.Date
	}
	if len(m.To) == 0 {
		m.To = msg.To
	}
	p.startCollector()
	classify(m, h, nil, p.opts)
	p.col.text([]byte(m.Subject), "subject", LayerReport)
	plains, htmls := msgBodies(msg.Body, msg.HTML, msg.RTF)
	p.bodies(plains, htmls, 0, LayerReport, m.Kind == KindReply)
	for _, a := range msg.Attachments {
		if a.Embedded != nil {
			p.outlookMessage(a.Embedded, 1)
			continue
		}
		p.attachment(a.Data, nameOr(a.Filename, "attachment"), strings.ToLower(a.MimeType), 0, "", LayerReport)
	}
	p.finish()
}

// msgBodies gives the bodies of an Outlook message to bodies(): its text
// and HTML, or, when it has only an RTF body that holds no HTML, the text
// of the RTF.
func msgBodies(body, html, rtf string) (plains []string, htmls [][]byte) {
	if body != "" {
		plains = append(plains, body)
	}
	if html != "" {
		htmls = append(htmls, []byte(html))
	}
	if len(plains) == 0 && len(htmls) == 0 && rtf != "" {
		plains = append(plains, rtfText(rtf))
	}
	return plains, htmls
}

// rtfText drops the control words, groups and hex escapes of RTF, leaving
// its text (and the targets of its HYPERLINK fields) for the extractor. It
// is no RTF reader: what it leaves is for indicators, not for people.
func rtfText(rtf string) string {
	var b strings.Builder
	for i := 0; i < len(rtf); i++ {
		c := rtf[i]
		switch c {
		case '{', '}', '\r', '\n':
			continue
		case '\\':
			if i+1 < len(rtf) && (rtf[i+1] == '\\' || rtf[i+1] == '{' || rtf[i+1] == '}') {
				i++
				b.WriteByte(rtf[i])
				continue
			}
			if i+1 < len(rtf) && rtf[i+1] == '\'' {
				i += 3 // \'hh: a byte in the code page; not part of an indicator
				b.WriteByte(' ')
				continue
			}
			j := i + 1
			for j < len(rtf) && (rtf[j] >= 'a' && rtf[j] <= 'z' || rtf[j] >= 'A' && rtf[j] <= 'Z') {
				j++
			}
			word := rtf[i+1 : j]
			for j < len(rtf) && (rtf[j] == '-' || rtf[j] >= '0' && rtf[j] <= '9') {
				j++
			}
			if j < len(rtf) && rtf[j] == ' ' {
				j++
			}
			if word == "par" || word == "line" || word == "tab" {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
