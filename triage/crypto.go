package triage

import (
	"fmt"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/parser"
)

// The crypto layer (DESIGN.md: store(raw) -> [decrypt] -> parser): the
// raw bytes are what the store keeps; the parse is made from what
// Config.Open made of them, and the signature verdict travels beside the
// parse in intake.crypto, for authority to read.

// maxSignatureAge bounds how old a signature may be and still
// authenticate commands: a triager's signed mail replayed months later,
// with another ticket's tag in its unsigned Subject, must not act again.
const maxSignatureAge = 14 * 24 * time.Hour

// openAndParse decrypts and verifies raw with Config.Open, then parses
// the clear mail. A mail that could not be decrypted is parsed as it
// came, with the reason among its errors.
func (g *Gateway) openAndParse(raw []byte) (*parser.Message, *mailcrypto.Opened) {
	if g.cfg.Open == nil {
		return g.parse(raw), nil
	}
	op := g.open(raw)
	msg := g.parse(op.Clear)
	if op.Error != "" {
		msg.Errors = append(msg.Errors, fmt.Sprintf("this mail came encrypted (%s) and could not be decrypted: %s", op.Method, op.Error))
	}
	return msg, op
}

// open runs Config.Open, which must never fail; if it does all the same,
// the mail goes on as it came.
func (g *Gateway) open(raw []byte) (op *mailcrypto.Opened) {
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("crypto layer panicked", "panic", r)
			op = &mailcrypto.Opened{Clear: raw, Error: fmt.Sprintf("the crypto layer failed on this mail: %v", r)}
		}
	}()
	op = g.cfg.Open(raw)
	if op == nil || op.Clear == nil {
		op = &mailcrypto.Opened{Clear: raw}
	}
	return op
}

// signedBy says whether the mail carries a valid signature, over its
// whole body, by a key bound to the sender's address, made recently and
// not seen on an earlier mail: the third way to authenticate a triager,
// and the strongest, since it does not depend on the path the mail took.
// The headers are not signed: a triager's signed mail sent again under
// another ticket's Subject would act on that ticket, which is why a
// signature authenticates one mail only, and only for maxSignatureAge.
func (in *intake) signedBy() (bool, string, error) {
	if in.crypto == nil || !in.crypto.Signature.Covers(in.from) {
		return false, "", nil
	}
	s := in.crypto.Signature
	if !s.Created.IsZero() && in.now.Sub(s.Created) > maxSignatureAge {
		in.sigNote = fmt.Sprintf("the signature was made %s, over %s ago: it authenticates nothing", s.Created.Format(time.RFC3339), maxSignatureAge)
		return false, "", nil
	}
	if s.Digest != "" {
		first, err := in.tx.UseSignature(in.ctx, s.Digest, in.mail, in.now)
		if err != nil {
			return false, "", err
		}
		if first != in.mail {
			in.sigNote = fmt.Sprintf("the same signed mail was taken in before (mail %d): a replay, it authenticates nothing", first)
			return false, "", nil
		}
	}
	return true, fmt.Sprintf("%s signature by %s %s bound to %s",
		s.Method, map[bool]string{true: "key", false: "certificate"}[s.Method == "OpenPGP"], s.Fingerprint, in.from), nil
}

// cryptoNotes records on the mail's ticket that it came encrypted or
// signed, and what became of that; a mail that could not be decrypted is
// told to the triagers (never lost, never silent).
func (in *intake) cryptoNotes() error {
	op := in.crypto
	n := in.res.ticket
	if op == nil || n == 0 || (!op.Encrypted && op.Signature == nil) {
		return nil
	}
	var parts []string
	switch {
	case op.Error != "":
		parts = append(parts, fmt.Sprintf("came encrypted (%s) and could not be decrypted: %s; it is stored as it came", op.Method, op.Error))
	case op.Encrypted:
		parts = append(parts, fmt.Sprintf("came encrypted (%s) to the league; the ticket shows the decrypted mail, the store keeps it as it came", op.Method))
	}
	if s := op.Signature; s != nil {
		parts = append(parts, s.Describe())
	}
	if in.sigNote != "" {
		parts = append(parts, in.sigNote)
	}
	ev := in.event(n, "crypto", "this mail "+strings.Join(parts, "; "))
	ev.Data = mustJSON(op)
	if _, err := in.tx.AddEvent(in.ctx, ev); err != nil {
		return err
	}
	if op.Error != "" {
		return in.tellTriagers(n, "Undecryptable mail: ", "",
			fmt.Sprintf("A mail from %s on %s came encrypted (%s) and could not be decrypted: %s. It is stored as it came; ask the sender to encrypt to the league's key.",
				in.actor(), in.g.tag(n), op.Method, op.Error), "")
	}
	return nil
}
