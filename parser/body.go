package parser

import (
	"strings"
)

// region says whose words a stretch of a mail's text is.
type region int

const (
	regionOwn       region = iota // the sender's own new text
	regionSignature               // below "-- ": context, not indicators
	regionQuoted                  // quoted mail in a reply: ours, mostly
	regionForwarded               // forwarded mail: evidence
)

// segment is a stretch of text of one region, by byte offsets.
type segment struct {
	region     region
	start, end int
}

// splitBody cuts a mail's text into the sender's own words, signature,
// quoted and forwarded text, by the marks that mail clients write:
// RFC 3676's "-- " signature line, "> " quotes, "On ... wrote:",
// Gmail's "---------- Forwarded message ---------", Outlook's
// "-----Original Message-----" and its "From: / Sent:" block, Apple Mail's
// "Begin forwarded message:". In a reply, what follows an attribution or
// an original-message block is quoted; in a report, it is forwarded
// evidence. An explicit forward mark is evidence in both.
func splitBody(text string, reply bool) []segment {
	var segs []segment
	add := func(r region, start, end int) {
		if n := len(segs); n > 0 && segs[n-1].region == r && segs[n-1].end == start {
			segs[n-1].end = end
			return
		}
		segs = append(segs, segment{r, start, end})
	}
	quotedOrForwarded := regionForwarded
	if reply {
		quotedOrForwarded = regionQuoted
	}
	lines := splitLines(text)
	state := regionOwn
	for i, l := range lines {
		line := text[l.start:l.end]
		trimmed := strings.TrimSpace(line)
		if state == regionOwn || state == regionSignature {
			switch {
			case isForwardMark(trimmed):
				state = regionForwarded
			case isOriginalMark(trimmed), isAttribution(lines, text, i), isOutlookBlock(lines, text, i):
				state = quotedOrForwarded
			case strings.TrimRight(line, " \t\r") == "--" || strings.TrimRight(line, "\t\r") == "-- ":
				state = regionSignature
			case strings.HasPrefix(trimmed, ">"):
				add(quotedOrForwarded, l.start, l.next)
				continue
			}
		}
		add(state, l.start, l.next)
	}
	return segs
}

type lineSpan struct{ start, end, next int }

func splitLines(text string) []lineSpan {
	var out []lineSpan
	for start := 0; start < len(text); {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			out = append(out, lineSpan{start, len(text), len(text)})
			break
		}
		end := start + i
		if end > start && text[end-1] == '\r' {
			end--
		}
		out = append(out, lineSpan{start, end, start + i + 1})
		start += i + 1
	}
	return out
}

// regionText joins the text of the segments of one region.
func regionText(text string, segs []segment, r region) string {
	var b strings.Builder
	for _, s := range segs {
		if s.region == r {
			b.WriteString(text[s.start:s.end])
		}
	}
	return b.String()
}

// regionAt says in which region the byte at offset stands.
func regionAt(segs []segment, offset int) region {
	for _, s := range segs {
		if offset >= s.start && offset < s.end {
			return s.region
		}
	}
	if n := len(segs); n > 0 && offset >= segs[n-1].end {
		return segs[n-1].region
	}
	return regionOwn
}

func stripStars(s string) string { return strings.Trim(s, "*_ \t") }

func isForwardMark(l string) bool {
	l = stripStars(l)
	// Every mark starts with a dash or with b, d or a, in either case:
	// the rest of the lines (nearly all) are not lowered for nothing.
	if l == "" || l[0] != '-' && l[0]|0x20 != 'b' && l[0]|0x20 != 'd' && l[0]|0x20 != 'a' {
		return false
	}
	l = strings.ToLower(l)
	if l == "begin forwarded message:" || l == "début du message réexpédié :" || l == "anfang der weitergeleiteten nachricht:" {
		return true
	}
	inner, ok := dashed(l)
	if !ok {
		return false
	}
	switch inner {
	case "forwarded message", "forwarded message follows", "message transféré", "message transfere",
		"weitergeleitete nachricht", "mensaje reenviado", "messaggio inoltrato", "doorgestuurd bericht",
		"mensagem encaminhada", "videresendt meddelelse", "vidarebefordrat meddelande", "forwarded e-mail":
		return true
	}
	return false
}

func isOriginalMark(l string) bool {
	l = stripStars(l)
	// Every mark below starts with a dash; most lines do not. (The line
	// of underscores Outlook on the web draws above a quoted header block
	// is no mark: stripStars leaves nothing of it, and the block under it
	// is found by isOutlookBlock.)
	if l == "" || l[0] != '-' {
		return false
	}
	l = strings.ToLower(l)
	inner, ok := dashed(l)
	if !ok {
		return false
	}
	switch inner {
	case "original message", "message d'origine", "ursprüngliche nachricht", "mensaje original",
		"messaggio originale", "oorspronkelijk bericht", "mensagem original", "original meddelelse",
		"originalmeddelande", "reply message":
		return true
	}
	return false
}

// dashed returns the words between runs of two or more dashes.
func dashed(l string) (string, bool) {
	if !strings.HasPrefix(l, "--") || !strings.HasSuffix(l, "--") || len(l) < 6 {
		return "", false
	}
	return strings.TrimSpace(strings.Trim(l, "- ")), true
}

// attributionVerbs are the verbs of the line a client writes above the
// mail it quotes, in the languages of the league's reporters and
// triagers: "On Mon, 3 Mar 2026, Alex <a@b> wrote:" (Gmail, Apple Mail,
// Thunderbird), "Le lun. 3 mars 2026 à 10:12, Alex <a@b> a écrit :",
// "Am 03.03.26 um 10:12 schrieb Alex:", "El lun, 3 mar 2026 a las 10:12,
// Alex (<a@b>) escribió:", "Il giorno lun 3 mar 2026 alle ore 10:12 Alex
// <a@b> ha scritto:", "Op ma 3 mrt 2026 om 10:12 schreef Alex <a@b>:",
// "Em seg., 3 de mar. de 2026 às 10:12, Alex <a@b> escreveu:".
var attributionVerbs = []string{"wrote", "a écrit", "schrieb", "escribió", "ha scritto", "schreef", "escreveu",
	"skrev", "kirjoitti", "napisał", "a scris"}

// attributionStarts begin an attribution that a client may wrap over two
// lines.
var attributionStarts = []string{"on ", "le ", "am ", "el ", "il ", "op ", "em ", "in "}

// isAttribution finds an attribution line (see attributionVerbs), which
// some clients wrap over two lines.
func isAttribution(lines []lineSpan, text string, i int) bool {
	if !mayBeAttribution(text[lines[i].start:lines[i].end]) {
		return false
	}
	l := normSpaces(strings.ToLower(strings.TrimSpace(text[lines[i].start:lines[i].end])))
	if strings.HasPrefix(l, ">") {
		return false
	}
	if attributionLine(l) {
		return true
	}
	for _, p := range attributionStarts {
		if strings.HasPrefix(l, p) && i+1 < len(lines) {
			next := normSpaces(strings.ToLower(strings.TrimSpace(text[lines[i+1].start:lines[i+1].end])))
			return !strings.HasPrefix(next, ">") && attributionLine(l+" "+next)
		}
	}
	return false
}

// mayBeAttribution rules out, without lowering it, a line that can be no
// attribution nor its first half: an ASCII line that neither ends with a
// colon nor begins with one of attributionStarts. Lowering every line of
// every body cost more than the rest of the split.
func mayBeAttribution(line string) bool {
	t := strings.TrimSpace(line)
	for i := 0; i < len(t); i++ {
		if t[i] >= 0x80 {
			return true // lowered and normalised in full
		}
	}
	if strings.HasSuffix(t, ":") {
		return true
	}
	if len(t) < 3 || t[2] != ' ' {
		return false
	}
	// Setting the 0x20 bit lowers an ASCII letter and makes no letter of
	// anything else.
	for _, p := range attributionStarts {
		if p[0] == t[0]|0x20 && p[1] == t[1]|0x20 {
			return true
		}
	}
	return false
}

// attributionLine says whether one line (or two joined) is an attribution:
// it ends with a colon after one of the verbs.
func attributionLine(l string) bool {
	if !strings.HasSuffix(l, ":") || len(l) < 8 {
		return false
	}
	for _, v := range attributionVerbs {
		if j := strings.LastIndex(l, v); j > 0 && len(l)-j-len(v) <= 80 {
			return true
		}
	}
	return false
}

// normSpaces turns the no-break spaces that French typography puts before
// a colon into plain ones.
func normSpaces(s string) string {
	// Most lines hold neither: skip the replacer's copy. Both spaces
	// start with a byte of their own in UTF-8 (C2 A0, E2 80 AF).
	if strings.IndexByte(s, 0xc2) < 0 && strings.IndexByte(s, 0xe2) < 0 {
		return s
	}
	return noBreakSpaces.Replace(s)
}

var noBreakSpaces = strings.NewReplacer("\u00a0", " ", "\u202f", " ")

// The labels of the header block Outlook writes above a mail it quotes or
// forwards, in English, French, German, Spanish, Italian, Dutch and
// Portuguese (and a few more): "From:", "De :", "Von:", "Da:", "Van:".
var (
	fromLabels  = []string{"from:", "de:", "de :", "von:", "van:", "da:", "od:", "från:", "fra:"}
	blockLabels = []string{"sent:", "date:", "envoyé :", "envoyé:", "gesendet:", "verzonden:", "enviado:", "enviado el:",
		"enviada em:", "enviado em:", "enviada:", "inviato:", "datum:", "fecha:", "data:", "skickat:", "sendt:", "wysłano:",
		"to:", "à :", "à:", "an:", "para:", "a:", "aan:", "subject:", "objet :", "objet:", "betreff:", "asunto:",
		"oggetto:", "onderwerp:", "assunto:", "cc:", "cc :"}
)

// isOutlookBlock finds the header block that Outlook writes above a mail
// it forwards or quotes, with no mark above it:
//
//	From: Alex <alex@hospital.example>
//	Sent: Monday, 3 March 2026 10:12
//
//	De : Alex <alex@hopital.example>
//	Envoyé : lundi 3 mars 2026 10:12
//	À : signalement@league.example
func isOutlookBlock(lines []lineSpan, text string, i int) bool {
	// Every label of fromLabels begins with f, d, v or o: an ASCII line
	// that begins otherwise is not lowered for nothing.
	if t := strings.TrimSpace(stripStars(text[lines[i].start:lines[i].end])); t == "" {
		return false
	} else if c := t[0]; c < 0x80 && c|0x20 != 'f' && c|0x20 != 'd' && c|0x20 != 'v' && c|0x20 != 'o' {
		return false
	}
	if !hasLabel(stripStars(text[lines[i].start:lines[i].end]), fromLabels) {
		return false
	}
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		if hasLabel(stripStars(text[lines[j].start:lines[j].end]), blockLabels) {
			return true
		}
	}
	return false
}

func hasLabel(l string, labels []string) bool {
	l = normSpaces(strings.ToLower(strings.TrimSpace(l)))
	for _, p := range labels {
		if strings.HasPrefix(l, p) && len(l) > len(p)+1 {
			return true
		}
	}
	return false
}
