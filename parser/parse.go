package parser

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"net/textproto"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"

	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/warninglists"
)

// mimeParser is configured once: enmime's options hold no state per mail.
var mimeParser = enmime.NewParser(
	enmime.SkipMalformedParts(true),
	enmime.MaxStoredPartErrors(20),
	// Trust the charset a mail declares: enmime's guess overrides it at
	// 85% confidence on short texts, and guesses wrong on mixed-language
	// phish. Undeclared 8-bit text is handled in textOf.
	enmime.DisableCharacterDetection(true),
	enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
	enmime.DisableTextConversion(true),
	enmime.MultipartWOBoundaryAsSinglePart(true),
)

// Parse reads one raw mail. It never fails and never panics: what it could
// not read is said in the result's Errors.
func Parse(raw []byte, opts Options) (m *Message) {
	opts = opts.withDefaults()
	m = &Message{Commands: []Command{}, Attachments: []Attachment{}, Indicators: []Indicator{}, Errors: []string{}}
	defer func() {
		// The last line of defence of invariant 5; fuzzing keeps it unused.
		if r := recover(); r != nil {
			m.Errors = append(m.Errors, fmt.Sprintf("internal error: %v at %s", r, panicSite()))
		}
	}()
	if len(raw) > opts.Limits.MaxSize {
		m.Errors = append(m.Errors, fmt.Sprintf("message is %d bytes, over the limit of %d: the rest was not read", len(raw), opts.Limits.MaxSize))
		raw = raw[:opts.Limits.MaxSize]
	}
	raw = skipJunk(raw, &m.Errors)

	p := &parse{opts: opts, msg: m}
	if bytes.HasPrefix(raw, cfbMagic) {
		// An Outlook .msg saved from the client and given as a file.
		p.outlookTop(raw)
		return m
	}
	root, h := p.readMail(raw, "message")
	if len(h) == 0 {
		m.notMail = true
		m.Errors = append(m.Errors, "not a mail: no header field found at its start")
	}
	envelope(m, h)
	m.Auth = h.Values("Authentication-Results")
	m.Header = keptHeaders(h)

	p.startCollector()
	classify(m, h, root, opts)

	reply := m.Kind == KindReply
	p.col.text([]byte(m.Subject), "subject", LayerReport)
	if m.Kind != KindBounce {
		p.walkParts(root, raw, 0, LayerReport, reply)
	}

	p.finish()
	return m
}

// startCollector sets up the indicator collector once the sender is
// known: the league's domains are never indicators, nor the reporter's
// address, nor its domain unless anyone can have an address there (a
// hospital clerk writing from gmail.com shares it with the scammer).
func (p *parse) startCollector() {
	exclude := append([]string(nil), p.opts.Domains...)
	if _, d, ok := strings.Cut(p.msg.From, "@"); ok && !warninglists.Freemail(d) {
		exclude = append(exclude, d)
	}
	p.col = newCollector(indicator.New(indicator.Options{Exclude: exclude}), p.opts.Limits, p.opts.Warninglists, p.msg.From, &p.msg.Errors)
}

// finish moves the collected indicators into the message; the reporter's
// domain is kept as context, and the shown text of deceptive links.
func (p *parse) finish() {
	p.shownAsContext()
	m := p.msg
	m.Indicators, m.Context = p.col.result()
	if _, d, ok := strings.Cut(m.From, "@"); ok && d != "" {
		if i, ok := p.col.ctx[indicator.Indicator{Type: indicator.Domain, Value: d}]; ok {
			m.Context[i].Sources = appendNew(m.Context[i].Sources, "header:from")
		} else {
			m.Context = append([]Indicator{{Type: string(indicator.Domain), Value: d, Sources: []string{"header:from"}}}, m.Context...)
		}
	}
}

// parse is the state of one Parse call.
type parse struct {
	opts  Options
	msg   *Message
	col   *collector
	parts int // MIME parts read so far, nested mails included
	// unscanned are the mails read without prescan, whose parts are not
	// in parts yet: at most unscannedParts, by partsBound.
	unscanned      [][]byte
	unscannedParts int
	decoded        int64 // attachment bytes decoded or inflated so far

	attachmentsFull bool
	// tnefPlains and tnefHTMLs are the bodies of the report's own
	// winmail.dat, read when its text parts are empty.
	tnefPlains []string
	tnefHTMLs  [][]byte
	// qrPixels counts the pixels searched for QR codes so far.
	qrPixels int64
	qrFull   bool
}

func (p *parse) errorf(format string, args ...any) {
	if len(p.msg.Errors) < 100 {
		p.msg.Errors = append(p.msg.Errors, fmt.Sprintf(format, args...))
	}
}

// readMail bounds and reads the MIME tree of one mail. It returns a nil
// root when the tree could not or should not be read; the header is then
// read on its own, and walkParts falls back to the raw text.
func (p *parse) readMail(raw []byte, what string) (*enmime.Part, textproto.MIMEHeader) {
	if err := p.bound(raw); err != nil {
		p.errorf("%s: %v: read as plain text", what, err)
		return nil, rawHeader(raw)
	}
	root, err := readParts(declareUTF8(raw))
	if err != nil || root == nil {
		p.errorf("%s: unreadable MIME structure (%v): read as plain text", what, err)
		return nil, rawHeader(raw)
	}
	p.partErrors(root, what)
	return root, root.Header
}

// bound says whether raw is within the limits on parts and depth, as
// prescan does. A mail that partsBound shows to be well within them is not
// walked: its parts are counted only if a later nested mail comes near the
// limit, so that the count it is held to stays prescan's.
func (p *parse) bound(raw []byte) error {
	lim := p.opts.Limits
	remaining := lim.MaxParts - p.parts - p.unscannedParts
	if n, ok := partsBound(raw, remaining, lim.MaxMultipartDepth); ok {
		p.unscanned = append(p.unscanned, raw)
		p.unscannedParts += n
		return nil
	}
	for _, m := range p.unscanned {
		n, _ := prescan(m, math.MaxInt, lim.MaxMultipartDepth)
		p.parts += n
	}
	p.unscanned, p.unscannedParts = nil, 0
	n, err := prescan(raw, lim.MaxParts-p.parts, lim.MaxMultipartDepth)
	p.parts += n
	return err
}

// partErrors copies enmime's severe errors: warnings (a missing charset)
// are normal in real mail and would drown the real reasons.
func (p *parse) partErrors(root *enmime.Part, what string) {
	var walk func(pt *enmime.Part)
	walk = func(pt *enmime.Part) {
		for ; pt != nil; pt = pt.NextSibling {
			for _, e := range pt.Errors {
				if e.Severe {
					p.errorf("%s: part %s: %s: %s", what, pt.PartID, e.Name, e.Detail)
				}
			}
			walk(pt.FirstChild)
		}
	}
	walk(root)
}

// declareUTF8 gives a mail with no Content-Type (RFC 2045 section 5.2:
// text/plain; charset=us-ascii) whose body is valid UTF-8, and not ASCII,
// the charset it is written in: enmime would read its 8-bit bytes as
// Windows-1252, losing https://сбер-онлайн.рф/login in a forwarded
// message/rfc822 that carries no MIME header at all.
func declareUTF8(raw []byte) []byte {
	end, sep := bytes.Index(raw, []byte("\r\n\r\n")), 4
	// A blank line of bare LFs counts only before the CRLF one: look no
	// further (a CRLF mail has none, and its body may be megabytes).
	within := raw
	if end >= 0 {
		within = raw[:end+1]
	}
	if lf := bytes.Index(within, []byte("\n\n")); lf >= 0 && (end < 0 || lf < end) {
		end, sep = lf, 2
	}
	if end < 0 {
		return raw
	}
	head, body := raw[:end], raw[end+sep:]
	// The header first: nearly every mail declares its type, and then
	// the body need not be read.
	for _, line := range bytes.Split(head, []byte("\n")) {
		if len(line) > 13 && bytes.EqualFold(line[:13], []byte("content-type:")) {
			return raw
		}
	}
	if isASCII(body) || !utf8.Valid(body) {
		return raw
	}
	nl := "\n"
	if sep == 4 {
		nl = "\r\n"
	}
	out := make([]byte, 0, len(raw)+48)
	out = append(out, head...)
	out = append(out, nl+"Content-Type: text/plain; charset=utf-8"...)
	return append(out, raw[end:]...)
}

// rawHeader reads a header block leniently, for mail that enmime refused.
func rawHeader(raw []byte) textproto.MIMEHeader {
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	h, err := r.ReadMIMEHeader()
	if h == nil && err != nil {
		return textproto.MIMEHeader{}
	}
	return h
}

// skipJunk drops what some exports put before the header: an mbox
// "From " line, a blank line, a line of an Outlook export that is no
// header field. A mail that has no header at all is left as it is.
func skipJunk(raw []byte, errs *[]string) []byte {
	start := 0
	for i := 0; i < 5 && start < len(raw); i++ {
		if looksLikeField(firstLine(raw[start:])) {
			if start > 0 && !(i == 1 && bytes.HasPrefix(raw, []byte("From "))) {
				*errs = append(*errs, fmt.Sprintf("%d bytes before the header were skipped", start))
			}
			return raw[start:]
		}
		next := bytes.IndexByte(raw[start:], '\n')
		if next < 0 {
			break
		}
		start += next + 1
	}
	return raw
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return bytes.TrimRight(b, "\r")
}

// looksLikeField says whether a line is a header field: a name of
// printable characters without spaces, then a colon (RFC 5322 2.2).
func looksLikeField(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, c := range line[:i] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// envelope fills the envelope fields of m from the top-level header.
func envelope(m *Message, h textproto.MIMEHeader) {
	m.MessageID = firstID(h.Get("Message-Id"))
	m.From, m.FromName, m.FromProblem = fromField(h.Values("From"))
	if m.From == "" {
		m.From, _ = address(h.Get("Sender"))
	}
	m.To = addressList(h, "To")
	m.Cc = addressList(h, "Cc")
	m.ReplyTo, _ = address(h.Get("Reply-To"))
	m.Subject = headerText(h.Get("Subject"))
	m.Date = mailDate(h)
	m.InReplyTo = firstID(h.Get("In-Reply-To"))
	m.References = messageIDs(strings.Join(h.Values("References"), " "))
	if m.MessageID == "" {
		m.Errors = append(m.Errors, "no Message-ID")
	}
	if m.From == "" {
		m.Errors = append(m.Errors, "no sender address in From")
	}
}

// keptHeaders copies the fields triage reads, so that it need not parse
// the mail again.
func keptHeaders(h textproto.MIMEHeader) map[string][]string {
	keys := []string{"Auto-Submitted", "Precedence", "List-Id", "Return-Path", "Delivered-To",
		"X-Original-To", "Sender", "Dkim-Signature", "Received-Spf", "Arc-Authentication-Results"}
	out := map[string][]string{}
	for _, k := range keys {
		if v := h.Values(k); len(v) > 0 {
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// Unreadable is the result for input that could not even be read, so that
// every file of a batch has its result.
func Unreadable(reason string) *Message {
	return &Message{Commands: []Command{}, Attachments: []Attachment{}, Indicators: []Indicator{},
		Kind: KindReport, Errors: []string{reason}, notMail: true}
}

// NotMail says that the input was no mail at all: no header field could
// be read from it.
func (m *Message) NotMail() bool { return m.notMail }

// panicSite names the function and line that panicked, for the error
// that stands in for the panic.
func panicSite() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return "unknown"
		}
	}
}
