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
	var plains []string
	var htmls [][]byte
	if msg.Body != "" {
		plains = append(plains, msg.Body)
	}
	if msg.HTML != "" {
		htmls = append(htmls, []byte(msg.HTML))
	}
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
