package parser

import (
	"bufio"
	"bytes"
	"mime"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jhillyerd/enmime/v2"
)

// classify decides the kind of a top-level mail and whether the gateway
// may ever answer it (DESIGN.md invariant 3). Bounces come first: a DSN
// also carries Auto-Submitted, and must reach its outbox entry.
func classify(m *Message, h textproto.MIMEHeader, root *enmime.Part, opts Options) {
	m.TicketRef = ticketTag(m.Subject, opts.Tag)
	m.Tokens = replyTokens(h, opts.Address)
	m.NoAnswer = noAnswer(h, m.From, opts)

	if b, why := bounce(h, root, m.From, m.Subject); why != "" {
		m.Kind, m.Bounce, m.AutoReason = KindBounce, b, why
		if b.OriginalMessageID == "" {
			b.OriginalMessageID = returnedMessageID(root, opts.Domains, m.MessageID)
		}
		return
	}
	if why := autoReply(h, root, m.Subject); why != "" {
		m.Kind, m.AutoReason = KindAutoReply, why
		return
	}
	if m.TicketRef != nil || len(m.Tokens) > 0 || refersToUs(m, opts.Domains) {
		m.Kind = KindReply
		return
	}
	m.Kind = KindReport
}

// tagPatterns caches the subject tag pattern of each tag word; Parse
// runs on many goroutines.
var tagPatterns sync.Map

// ticketTag reads "[League #12]" from a subject, whatever the case and
// spacing clients leave after "Re: AW: TR:".
func ticketTag(subject, tag string) *int64 {
	v, ok := tagPatterns.Load(tag)
	if !ok {
		v, _ = tagPatterns.LoadOrStore(tag, regexp.MustCompile(`(?i)\[\s*`+regexp.QuoteMeta(tag)+`\s*#\s*(\d{1,12})\s*\]`))
	}
	re := v.(*regexp.Regexp)
	sm := re.FindStringSubmatch(subject)
	if sm == nil {
		return nil
	}
	n, err := strconv.ParseInt(sm[1], 10, 64)
	if err != nil || n <= 0 {
		return nil
	}
	return &n
}

// replyTokens returns the tokens of plus-addresses of the league's address
// among the recipients: report+t42-abc@league.example gives "t42-abc".
// Delivered-To and X-Original-To count: Bcc and aliases leave no trace
// in To or Cc.
func replyTokens(h textproto.MIMEHeader, address string) []string {
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" {
		return nil
	}
	var out []string
	for _, a := range addressList(h, "To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To") {
		l, d, ok := strings.Cut(a, "@")
		if !ok || d != domain {
			continue
		}
		base, tok, ok := strings.Cut(l, "+")
		if ok && base == local && tok != "" && !containsFold(out, tok) {
			out = append(out, tok)
		}
	}
	return out
}

// refersToUs says whether In-Reply-To or References name a mail we sent:
// our Message-IDs end in one of our domains.
func refersToUs(m *Message, domains []string) bool {
	ids := append([]string{m.InReplyTo}, m.References...)
	for _, id := range ids {
		if _, d, ok := strings.Cut(id, "@"); ok && inDomains(d, domains) {
			return true
		}
	}
	return false
}

func inDomains(host string, domains []string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range domains {
		d = strings.ToLower(d)
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// noAnswer gives the reason the gateway must never answer a mail, or "".
func noAnswer(h textproto.MIMEHeader, from string, opts Options) string {
	if as := strings.ToLower(strings.TrimSpace(headerText(h.Get("Auto-Submitted")))); as != "" && !strings.HasPrefix(as, "no") {
		return "auto-submitted: " + as
	}
	switch p := strings.ToLower(strings.TrimSpace(headerText(h.Get("Precedence")))); p {
	case "bulk", "junk", "list", "auto_reply":
		return "precedence: " + p
	}
	if h.Get("List-Id") != "" {
		return "list-id"
	}
	if rp, ok := h["Return-Path"]; ok && len(rp) > 0 {
		if v := strings.TrimSpace(rp[len(rp)-1]); v == "<>" || v == "" {
			return "null sender"
		}
	}
	if from == "" {
		return "no sender address"
	}
	local, domain, _ := strings.Cut(from, "@")
	switch local {
	case "mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply":
		return "sender " + local
	}
	if inDomains(domain, opts.Domains) {
		return "sent from our own domain"
	}
	return ""
}

var bounceSubject = regexp.MustCompile(`(?i)(undeliver|undelivered mail|delivery status notification|returned mail|failure notice|delivery failure|mail delivery failed|delivery has failed|non remis|non-remis|unzustellbar|nicht zustellbar|delivery notification|mail system error|could not be delivered)`)

// bounce recognises a non-delivery report: a multipart/report of type
// delivery-status (RFC 3464), or a mail from MAILER-DAEMON or with
// X-Failed-Recipients in one of the pre-DSN shapes that qmail and old
// Exim still send.
func bounce(h textproto.MIMEHeader, root *enmime.Part, from, subject string) (*Bounce, string) {
	if reportType(root) == "delivery-status" {
		b := &Bounce{}
		for pt := root.FirstChild; pt != nil; pt = pt.NextSibling {
			if pt.ContentType == "message/delivery-status" || pt.ContentType == "message/global-delivery-status" {
				readDeliveryStatus(pt.Content, b)
			}
		}
		return b, "delivery status notification"
	}
	local, _, _ := strings.Cut(from, "@")
	if fr := h.Get("X-Failed-Recipients"); fr != "" {
		return &Bounce{Action: "failed", Recipients: addressList(h, "X-Failed-Recipients")}, "x-failed-recipients"
	}
	if (local == "mailer-daemon" || local == "postmaster" || from == "") && bounceSubject.MatchString(subject) {
		return &Bounce{Action: "failed"}, "non-delivery report from " + orNull(local)
	}
	return nil, ""
}

func orNull(s string) string {
	if s == "" {
		return "null sender"
	}
	return s
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

var oooSubject = regexp.MustCompile(`(?i)^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?(reply|response|antwort)|autoreply|abwesenheit|réponse automatique|reponse automatique|respuesta automática|respuesta automatica|risposta automatica|automatisch antwoord|afwezig|autosvar|fuera de la oficina|absence|on vacation|vacation reply|i am out of|i'm out of|away from (the )?office)`)

// autoReply recognises RFC 3834 auto-responses and the shapes that ignore
// it: vacation programs, Exchange's X-Auto-Response markers, and
// out-of-office subjects in the languages our reporters write.
func autoReply(h textproto.MIMEHeader, root *enmime.Part, subject string) string {
	if as := strings.ToLower(strings.TrimSpace(headerText(h.Get("Auto-Submitted")))); as != "" && !strings.HasPrefix(as, "no") {
		return "auto-submitted: " + as
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation"} {
		if v := strings.ToLower(strings.TrimSpace(h.Get(k))); v != "" && v != "no" && v != "false" {
			return strings.ToLower(k)
		}
	}
	if p := strings.ToLower(strings.TrimSpace(h.Get("Precedence"))); p == "auto_reply" {
		return "precedence: auto_reply"
	}
	if strings.EqualFold(h.Get("X-Ms-Exchange-Generated-Message-Source"), "Mailbox Rules Agent") {
		return "exchange mailbox rule"
	}
	if reportType(root) == "disposition-notification" {
		return "read receipt"
	}
	// The subject alone never makes an auto-reply: "Absence of MFA let
	// attackers in" and "Automatic reply phishing campaign against us" are
	// reports. Exchange marks its own automatic replies with
	// X-Auto-Response-Suppress, and only beside it does the subject count.
	if h.Get("X-Auto-Response-Suppress") != "" && oooSubject.MatchString(subject) {
		return "out-of-office subject with X-Auto-Response-Suppress"
	}
	return ""
}

// returnedMessageID finds the Message-ID of the mail a bounce returns: in
// its message/rfc822 or text/rfc822-headers part, else in the text of
// pre-DSN bounces. One in our domains wins: that is the outbox entry.
func returnedMessageID(root *enmime.Part, domains []string, own string) string {
	if root == nil {
		return ""
	}
	var found []string
	var walk func(p *enmime.Part)
	walk = func(p *enmime.Part) {
		for ; p != nil; p = p.NextSibling {
			if p.ContentType == "message/rfc822" || p.ContentType == "text/rfc822-headers" ||
				strings.HasPrefix(p.ContentType, "text/") {
				found = append(found, messageIDFields(p.Content)...)
			}
			walk(p.FirstChild)
		}
	}
	walk(root.FirstChild)
	if root.FirstChild == nil {
		found = messageIDFields(root.Content)
	}
	first := ""
	for _, id := range found {
		if id == own {
			continue
		}
		if _, d, ok := strings.Cut(id, "@"); ok && inDomains(d, domains) {
			return id
		}
		if first == "" {
			first = id
		}
	}
	return first
}

// messageIDFields returns the ids of every "Message-ID:" line in b.
func messageIDFields(b []byte) []string {
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) > 11 && bytes.EqualFold(l[:11], []byte("message-id:")) {
			if id := firstID(string(l[11:])); id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// readDeliveryStatus reads the fields of a message/delivery-status part
// (RFC 3464 section 2): a block of per-message fields, then one block per
// recipient, separated by blank lines. The first recipient's status is
// the bounce's; every final recipient is listed.
func readDeliveryStatus(body []byte, b *Bounce) {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(body)))
	for i := 0; i < 100; i++ {
		h, err := r.ReadMIMEHeader()
		if len(h) > 0 {
			if rcpt := h.Get("Final-Recipient"); rcpt != "" {
				_, a, _ := strings.Cut(rcpt, ";")
				b.Recipients = append(b.Recipients, strings.ToLower(strings.TrimSpace(a)))
				if b.Status == "" {
					b.Status = firstField(h.Get("Status"))
					b.Action = strings.ToLower(strings.TrimSpace(h.Get("Action")))
					b.Diagnostic = headerText(h.Get("Diagnostic-Code"))
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// reportType returns the report-type of a multipart/report (RFC 6522), or
// the type its second part shows when the parameter is missing.
func reportType(root *enmime.Part) string {
	if root == nil || root.ContentType != "multipart/report" {
		return ""
	}
	if _, params, err := mime.ParseMediaType(root.Header.Get("Content-Type")); err == nil && params["report-type"] != "" {
		return strings.ToLower(params["report-type"])
	}
	for pt := root.FirstChild; pt != nil; pt = pt.NextSibling {
		switch pt.ContentType {
		case "message/delivery-status", "message/global-delivery-status":
			return "delivery-status"
		case "message/disposition-notification":
			return "disposition-notification"
		}
	}
	return ""
}
