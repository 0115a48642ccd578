package triage

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// quoteArg is the argument of #escalate that sets how much of the
// reporter's words the escalation quotes: "quote=500" characters,
// "quote=0" none. The triager knows what the reporter would not want a
// CERT to read.
const quoteArg = "quote="

// quoteLimit takes quote=N out of args and returns the rest and the limit
// (maxWords when not given).
func quoteLimit(args []string) ([]string, int, error) {
	limit := maxWords
	var rest []string
	for _, a := range args {
		v, ok := strings.CutPrefix(strings.ToLower(a), quoteArg)
		if !ok {
			rest = append(rest, a)
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, 0, bad("%q: write quote=N, N the characters of the reporter's words to quote (0 for none, at most %d)", a, maxWords)
		}
		limit = min(n, maxWords)
	}
	return rest, limit, nil
}

// reportWords returns the words and files of the mail that opened ticket
// t, the words cut at limit characters and defanged; nothing when the
// mail is gone (purged) or unreadable.
func (in *intake) reportWords(t store.Ticket, limit int) (string, []store.MailAttachment, error) {
	if t.OpenedBy == 0 {
		return "", nil, nil
	}
	b, err := in.tx.MailParse(in.ctx, t.OpenedBy)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("words of #%d: %w", t.Number, err)
	}
	var m parser.Message
	if json.Unmarshal(b, &m) != nil {
		return "", nil, nil
	}
	words := ""
	if limit > 0 {
		words = wordsOf(m.Text, m.Indicators, limit)
	}
	return words, filesOf(&m), nil
}
