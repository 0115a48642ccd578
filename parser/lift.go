package parser

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// enmime reads a part's body a byte at a time through its boundary reader
// (a Peek, a ReadByte and a WriteByte for each byte) and then through its
// base64 or quoted-printable cleaner: a 2 MB PDF costs it tens of
// milliseconds, more than the PDF reader, and the HTML body of every mail
// a good part of its parse. Those bodies are therefore lifted out of the
// mail before enmime reads it, each replaced by a short placeholder, and
// decoded here; once enmime has built the tree, each placeholder part gets
// its body back.
//
// Only bodies whose decoding here is enmime's own, byte for byte, are
// lifted: the body of a mail that is no multipart, or of a leaf part of a
// multipart; its header read by enmime's own ReadHeader without a
// complaint; a transfer encoding enmime decodes (base64, quoted-printable)
// or keeps (7bit, 8bit, binary, none); a media type with no boundary that
// is not text, or text whose declared charset is converted here as enmime
// converts it (UTF-8, kept; the Latin ones; never an undeclared one, which
// enmime guesses); a body that decodes without an error or a warning, and
// holds no boundary of the tree where enmime's boundary readers look for a
// delimiter, followed by the part's own delimiter line. The structure
// enmime sees is then the mail's. Should a placeholder not come back as
// the whole body of one part, the mail is read again as it is: the result
// is never other than enmime's.

// minLifted is the smallest body lifted: below it enmime's cost is no
// matter and the copy of the mail would cost more.
const minLifted = 2 << 10

// liftedBody is a body taken out of a mail, decoded.
type liftedBody struct {
	encoded  []byte // the placeholder, as written in the mail
	original []byte // the body it stands for, as written in the mail
	content  []byte // the body decoded
	text     bool   // of a text part, its charset one enmime keeps as it is
	// risky are the places in the body, to its end, where a boundary
	// reader would look for a delimiter and finds "--": the body is the
	// part's only if no boundary of the tree follows.
	risky [][]byte
	found bool
}

// candidate is a body liftablePart found to lift.
type candidate struct {
	start, end int // the body in the mail
	content    []byte
	text       bool
	plain      bool // its encoding leaves the placeholder as it is
	risky      [][]byte
}

// liftedPrefix starts every placeholder, decoded (and as quoted-printable
// writes it); liftedMark is how any placeholder starts in base64.
const liftedPrefix = "leaguemail lifted body "

var liftedMark = []byte(base64.StdEncoding.EncodeToString([]byte(liftedPrefix))[:28])

// hasPlaceholder says whether b holds a placeholder, in either encoding.
func hasPlaceholder(b []byte) bool {
	return bytes.Contains(b, liftedMark) || bytes.Contains(b, []byte(liftedPrefix))
}

// readParts is enmime's ReadParts of raw, with the large base64 bodies
// decoded here.
func readParts(raw []byte) (*enmime.Part, error) {
	lifted, bodies := liftBodies(raw)
	if bodies == nil {
		return mimeParser.ReadParts(bytes.NewReader(raw))
	}
	root, err := mimeParser.ReadParts(bytes.NewReader(lifted))
	if err == nil && root != nil && restoreBodies(root, bodies) {
		return root, nil
	}
	return mimeParser.ReadParts(bytes.NewReader(raw))
}

// liftBodies returns raw with the bodies it lifts replaced, and those
// bodies by placeholder; nil when it lifts none.
func liftBodies(raw []byte) ([]byte, map[string]*liftedBody) {
	var out []byte
	var bodies map[string]*liftedBody
	last := 0 // raw is copied to out up to here
	lift := func(c candidate) {
		start, end, content := c.start, c.end, c.content
		// The placeholder names its body by hash: it is the same however
		// often the mail is read, and no other body decodes to it. It is
		// ASCII, which the charsets of lifted text parts leave alone, and
		// written in the part's own encoding (quoted-printable leaves it
		// as it is).
		sum := sha256.Sum256(content)
		ph := hex.AppendEncode([]byte(liftedPrefix), sum[:])
		if _, dup := bodies[string(ph)]; dup {
			return // the same file twice: the second stays, for enmime
		}
		enc := ph
		if !c.plain {
			enc = base64.StdEncoding.AppendEncode(nil, ph)
		}
		if bodies == nil {
			bodies = map[string]*liftedBody{}
			out = make([]byte, 0, len(raw)/4)
		}
		bodies[string(ph)] = &liftedBody{encoded: enc, original: raw[start:end], content: content, text: c.text, risky: c.risky}
		out = append(out, raw[last:start]...)
		out = append(out, enc...)
		last = end
	}
	// The body of a mail that is no multipart, which enmime reads with no
	// boundary reader; else each part after a line that may be a delimiter.
	if c, ok := liftablePart(raw, 0, nil); ok {
		lift(c)
	} else {
		for i := 0; i < len(raw); {
			line, next := lineAt(raw, i)
			i = next
			if !bytes.HasPrefix(line, []byte("--")) {
				continue
			}
			if c, ok := liftablePart(raw, next, line); ok {
				lift(c)
				i = c.end
			}
		}
	}
	if bodies == nil {
		return nil, nil
	}
	return append(out, raw[last:]...), bodies
}

// lineAt returns the line that starts at i, without its line break, and
// where the next one starts.
func lineAt(raw []byte, i int) ([]byte, int) {
	j := bytes.IndexByte(raw[i:], '\n')
	if j < 0 {
		return raw[i:], len(raw)
	}
	return bytes.TrimSuffix(raw[i:i+j], []byte("\r")), i + j + 1
}

// liftablePart reads the part whose header starts at h, just after a line
// that may be a delimiter: when its body is to be lifted, it returns where
// the body starts, where the line break before the next delimiter line
// starts, the body decoded, and whether it is text.
func liftablePart(raw []byte, h int, delimiter []byte) (c candidate, ok bool) {
	var start, end int
	var content []byte
	var text bool
	var risky [][]byte
	// The header: up to the blank line, short, and naming an encoding on
	// its Content-Transfer-Encoding line (a value folded onto the next
	// line is left to enmime).
	start = -1
	encoding := true // none named is none at all
	typed := false   // a Content-Type, not multipart: enmime's header reading is for those
	for i := h; i < len(raw) && i-h < 64<<10; {
		line, next := lineAt(raw, i)
		if len(line) == 0 {
			start = next
			break
		}
		if hasFieldFold(line, cteField) {
			_, encoding = liftedEncodings[string(bytes.ToLower(bytes.TrimSpace(line[len(cteField):])))]
		} else if hasFieldFold(line, ctField) {
			v := bytes.TrimSpace(line[len(ctField):])
			typed = !hasFieldFold(v, "multipart/")
		}
		i = next
	}
	if start < 0 || !encoding || !typed {
		return candidate{}, false
	}
	ctype, cte, ok := plainHeader(raw[h:start])
	if !ok {
		var complaints errorCount
		// A buffer that holds the whole header reads it as the default
		// one does, without its 4 KiB for a header of a few lines.
		br := bufio.NewReaderSize(bytes.NewReader(raw[h:start]), min(start-h+1, 4096))
		header, err := enmime.ReadHeader(br, &complaints)
		if err != nil || complaints > 0 {
			return candidate{}, false
		}
		ctype, cte = header.Get("Content-Type"), header.Get("Content-Transfer-Encoding")
	}
	cte = strings.ToLower(cte)
	if _, ok := liftedEncodings[cte]; !ok || ctype == "" {
		return candidate{}, false
	}
	mtype, params, invalid, err := mediatype.Parse(ctype)
	if err != nil || len(invalid) > 0 || mtype == "" || params["boundary"] != "" || strings.HasPrefix(mtype, "multipart/") {
		return candidate{}, false
	}
	text = strings.HasPrefix(mtype, "text/")
	if text && !identityCharset(params["charset"]) {
		return candidate{}, false
	}
	end, ok = len(raw), true
	if delimiter != nil {
		end, risky, ok = bodyEnd(raw, h, start, delimiter)
	}
	if !ok || end-start < minLifted {
		return candidate{}, false
	}
	switch cte {
	case "base64":
		content, ok = decodeBase64(raw[start:end])
	case "quoted-printable":
		content, ok = decodeQP(raw[start:end])
	default:
		// Not encoded: enmime keeps the bytes as they come.
		content = bytes.Clone(raw[start:end])
	}
	if !ok {
		return candidate{}, false
	}
	if text {
		if content, ok = converted(params["charset"], content); !ok {
			return candidate{}, false
		}
	}
	return candidate{start: start, end: end, content: content, text: text, plain: cte != "base64", risky: risky}, true
}

const (
	cteField = "content-transfer-encoding:"
	ctField  = "content-type:"
)

// hasFieldFold says whether line starts with prefix, in any case.
func hasFieldFold(line []byte, prefix string) bool {
	return len(line) >= len(prefix) && bytes.EqualFold(line[:len(prefix)], []byte(prefix))
}

// liftedEncodings are the transfer encodings lifted: those enmime decodes,
// and those it does not (the empty one when a part names none).
var liftedEncodings = map[string]bool{"base64": true, "quoted-printable": true, "7bit": true, "8bit": true, "binary": true, "": true}

// bodyEnd finds the end of the body that starts at start, of the part
// whose header starts at h: the line break before the part's own delimiter
// line (the line before its header). Where enmime's boundary readers look
// for a delimiter (from each line feed and carriage return, a byte or two
// on, and at every byte near the part's start) and find "--", the body is
// kept in risky, to be checked against the boundaries of the tree; and a
// body where a reader would see its delimiter before this end is not
// lifted.
func bodyEnd(raw []byte, h, start int, delimiter []byte) (int, [][]byte, bool) {
	own := append([]byte("\n"), bytes.TrimRight(delimiter, " \t")...)
	end := -1
	for k := start; end < 0; {
		j := bytes.Index(raw[k:], own)
		if j < 0 {
			return 0, nil, false
		}
		q := k + j
		if after := raw[q+len(own):]; len(after) == 0 || strings.ContainsRune("- \t\r\n", rune(after[0])) {
			end = q
		}
		k = q + 1
	}
	// A carriage return two bytes before the delimiter (not of a CRLF
	// before a blank line) would end the body there.
	if end-2 >= start && raw[end-2] == '\r' && raw[end-1] != '\n' {
		return 0, nil, false
	}
	if end > start && raw[end-1] == '\r' {
		end--
	}
	var risky [][]byte
	for k := start; ; {
		i := bytes.Index(raw[k:end], []byte("--"))
		if i < 0 {
			return end, risky, true
		}
		p := k + i
		if p < h+atStartWindow || isLineBreak(raw[p-1]) || isLineBreak(raw[p-2]) || isLineBreak(raw[p-3]) {
			risky = append(risky, raw[p:min(p+maxBoundary+4, len(raw))])
		}
		k = p + 1
	}
}

func isLineBreak(c byte) bool { return c == '\n' || c == '\r' }

// atStartWindow bounds the bytes from a part's start over which enmime's
// boundary reader looks for a delimiter at every byte, not only after line
// breaks: until its first Read returns, which its bufio.Reader (4096 bytes)
// makes the first 4096 bytes of the part, header included.
const atStartWindow = 8192

// maxBoundary is the longest boundary the risky places are checked for;
// RFC 2046 allows 70 characters.
const maxBoundary = 200

// decodeBase64 decodes a body as enmime does: its base64 cleaner drops
// white space and '=', and its decoder reads the rest unpadded. A body with
// anything else in it is not lifted (the cleaner would warn), nor one that
// does not decode.
func decodeBase64(body []byte) ([]byte, bool) {
	// A body of base64 lines padded at its end, as nearly every mailer
	// writes it, decodes in one call, which skips the line breaks; that
	// it decodes at all says it holds nothing but those.
	content := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	if n, err := base64.StdEncoding.Decode(content, body); err == nil {
		return content[:n], true
	}
	letters := make([]byte, 0, len(body))
	for _, c := range body {
		if !base64Body[c] {
			return nil, false
		}
		if base64Letter(c) {
			letters = append(letters, c)
		}
	}
	if len(letters)%4 == 1 {
		return nil, false // a corrupt input error in enmime
	}
	if need := base64.RawStdEncoding.DecodedLen(len(letters)); need > len(content) {
		content = make([]byte, need)
	}
	n, err := base64.RawStdEncoding.Decode(content, letters)
	if err != nil {
		return nil, false
	}
	return content[:n], true
}

// identityCharset says whether a text part's declared charset is one
// whose conversion by enmime is done here: UTF-8, which it keeps as it is,
// and the Latin ones it reads as Windows-1252 or ISO 8859-1. Undeclared
// ones enmime guesses: never lifted.
func identityCharset(cs string) bool {
	_, ok := latinCharsets[strings.ToLower(cs)]
	return ok || strings.EqualFold(cs, "utf-8")
}

// latinCharsets are the Latin charsets lifted, as enmime's table of
// charsets decodes them.
var latinCharsets = map[string]*charmap.Charmap{
	"us-ascii": charmap.Windows1252, "windows-1252": charmap.Windows1252, "iso-8859-1": charmap.ISO8859_1,
}

// converted is a decoded text body as enmime's charset conversion leaves
// it: UTF-8 as it is, a Latin charset through the same decoder.
func converted(cs string, content []byte) ([]byte, bool) {
	cm, ok := latinCharsets[strings.ToLower(cs)]
	if !ok || isASCII(content) {
		return content, true
	}
	out, err := io.ReadAll(transform.NewReader(bytes.NewReader(content), cm.NewDecoder()))
	return out, err == nil
}

// base64Body are the bytes a lifted body may hold: base64 letters, and
// what enmime's base64 cleaner drops without a warning.
var base64Body = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = base64Letter(byte(c))
	}
	for _, c := range []byte("=\r\n\t ") {
		t[c] = true
	}
	return t
}()

func base64Letter(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// errorCount is an enmime.ErrorCollector that only counts.
type errorCount int

func (e *errorCount) AddError(string, string, ...any)   { *e++ }
func (e *errorCount) AddWarning(string, string, ...any) { *e++ }

// restoreBodies gives each placeholder part its body back, and a mail
// attached as it is (message/rfc822 unencoded) its text. It says false
// when a placeholder is not the whole body of exactly one leaf part nor in
// such a mail: the tree is then not the mail's.
func restoreBodies(root *enmime.Part, bodies map[string]*liftedBody) bool {
	ok := true
	var walk func(pt *enmime.Part)
	walk = func(pt *enmime.Part) {
		for ; pt != nil && ok; pt = pt.NextSibling {
			if b, hit := bodies[string(pt.Content)]; hit && pt.FirstChild == nil {
				if b.found || strings.HasPrefix(pt.ContentType, "text/") != b.text {
					ok = false
					return
				}
				b.found = true
				pt.Content = b.content
			} else if hasPlaceholder(pt.Content) || hasPlaceholder(pt.Epilogue) {
				ok = restoreText(pt, bodies)
			}
			walk(pt.FirstChild)
		}
	}
	walk(root)
	for _, b := range bodies {
		ok = ok && b.found
	}
	return ok && noDelimiterWithin(root, bodies)
}

// noDelimiterWithin says whether no risky place of a lifted body starts a
// delimiter of any multipart of the tree: each body is then all of its
// part, as enmime reads the mail.
func noDelimiterWithin(root *enmime.Part, bodies map[string]*liftedBody) bool {
	var boundaries []string
	var walk func(pt *enmime.Part)
	walk = func(pt *enmime.Part) {
		for ; pt != nil; pt = pt.NextSibling {
			if pt.Boundary != "" {
				boundaries = append(boundaries, pt.Boundary)
			}
			walk(pt.FirstChild)
		}
	}
	walk(root)
	for _, b := range bodies {
		for _, r := range b.risky {
			for _, bd := range boundaries {
				if len(bd) > maxBoundary || bytes.HasPrefix(r[2:], []byte(bd)) {
					return false
				}
			}
		}
	}
	return true
}

// restoreText puts the bodies back in an attached mail that enmime kept
// byte for byte: its placeholders are where the bodies were written.
func restoreText(pt *enmime.Part, bodies map[string]*liftedBody) bool {
	ct := strings.ToLower(pt.ContentType)
	switch strings.ToLower(strings.TrimSpace(pt.Header.Get("Content-Transfer-Encoding"))) {
	case "", "7bit", "8bit", "binary":
	default:
		return false
	}
	if ct != "message/rfc822" && ct != "message/global" || pt.FirstChild != nil || hasPlaceholder(pt.Epilogue) {
		return false
	}
	for _, b := range bodies {
		if n := bytes.Count(pt.Content, b.encoded); n > 0 {
			if b.found || n > 1 {
				return false
			}
			b.found = true
			pt.Content = bytes.Replace(pt.Content, b.encoded, b.original, 1)
		}
	}
	return !hasPlaceholder(pt.Content)
}
