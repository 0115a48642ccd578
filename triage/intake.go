package triage

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/mailauth"
	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
)

// intake is one mail being taken in, inside the store transaction.
type intake struct {
	g    *Gateway
	ctx  context.Context
	tx   *store.Tx
	msg  *parser.Message
	mail int64     // the mail's id in the store
	from string    // the sender, lower case
	now  time.Time // when it was taken in
	// auth is our MTA's verdict on the sender.
	auth mailauth.Result
	res  result
	// crypto is what the crypto layer found: encryption, signature.
	crypto *mailcrypto.Opened
	// sigNote says why a valid signature authenticated nothing.
	sigNote string
	// updates are the triagers' updates the mail makes, sent once it is
	// triaged (see flushUpdates).
	updates []*update
}

// result is what became of a mail, for the log and the tests.
type result struct {
	mail        int64
	disposition string
	ticket      int64
}

// The dispositions of a mail: what triage made of it.
const (
	DispOpened    = "opened"     // opened a ticket
	DispAppended  = "appended"   // a participant's reply, on its ticket
	DispFlagged   = "flagged"    // a non-participant's reply, on the ticket, flagged
	DispAnswer    = "answer"     // a CERT's or institution's answer to our escalation or alert
	DispReopened  = "reopened"   // a reply that reopened a closed ticket
	DispFollowUp  = "follow-up"  // a reply to a closed ticket that opened a new, linked one
	DispBounce    = "bounce"     // a bounce recorded on its ticket
	DispAutoReply = "auto-reply" // an auto-reply recorded on its ticket
	DispDuplicate = "duplicate"  // the same mail again, with other bytes
	DispOwn       = "own-mail"   // a mail from our own address
	DispUnmatched = "-unmatched" // suffix: a bounce, auto-reply or own mail of no known ticket
)

func (g *Gateway) insert(ctx context.Context, tx *store.Tx, raw []byte, sha string, msg *parser.Message, origin Origin, now time.Time) (*intake, error) {
	parse, err := json.Marshal(msg)
	if err != nil {
		parse = []byte("{}")
	}
	m := &store.Mail{
		SHA256:     sha,
		MessageID:  normID(msg.MessageID),
		From:       strings.ToLower(strings.TrimSpace(msg.From)),
		Subject:    oneLine(msg.Subject),
		Date:       msg.Date,
		ReceivedAt: now,
		Kind:       string(msg.Kind),
		Parse:      parse,
		Errors:     msg.Errors,
	}
	id, err := tx.InsertMail(ctx, m, raw)
	if err != nil {
		return nil, err
	}
	if err := tx.AddOrigin(ctx, id, origin, now); err != nil {
		return nil, err
	}
	if err := tx.AdvanceCheckpoint(ctx, origin, now); err != nil {
		return nil, err
	}
	return &intake{g: g, ctx: ctx, tx: tx, msg: msg, mail: id, from: m.From, now: now,
		auth: mailauth.Evaluate(g.cfg.AuthservID, msg.Auth, m.From), res: result{mail: id}}, nil
}

// triage decides what the mail means and makes the change.
func (in *intake) triage() error {
	// A valid signature by a key bound to the From address authenticates
	// the sender whatever path the mail took: for its evidence, an
	// acknowledgement and an answer, as for commands (DESIGN.md trust
	// model).
	if ok, how, err := in.signedBy(); err != nil {
		return err
	} else if ok {
		in.auth = mailauth.Result{Verdict: mailauth.Pass, How: how}
	}
	if err := in.route(); err != nil {
		return err
	}
	return in.flushUpdates()
}

func (in *intake) route() error {
	if err := in.keepCommands(); err != nil {
		return err
	}
	switch in.msg.Kind {
	case parser.KindBounce:
		return in.bounce()
	case parser.KindAutoReply:
		return in.quiet(DispAutoReply, "auto-reply")
	}
	if in.g.ownAddress(in.from) {
		return in.quiet(DispOwn, "own-mail")
	}
	if dup, err := in.duplicate(); dup || err != nil {
		return err
	}
	if list, err := in.listMail(); list || err != nil {
		return err
	}
	th, err := in.thread()
	if err != nil {
		return err
	}
	switch {
	case th.ticket == nil:
		_, err := in.open(0, "")
		return err
	case !th.ticket.State.Open():
		// A triager's commands act on a closed ticket as it is (#reopen,
		// #tlp...), and a CERT's late answer lands on it: neither reopens
		// it nor opens a new one.
		if stay, err := in.staysOnClosed(th.ticket.Number); stay || err != nil {
			if err != nil {
				return err
			}
			return in.reply(th)
		}
		return in.replyToClosed(th)
	default:
		return in.reply(th)
	}
}

// staysOnClosed reports whether a reply to closed ticket n is put on it
// as it is: commands with authority, or an answer to our escalation.
func (in *intake) staysOnClosed(n int64) (bool, error) {
	if len(in.msg.Commands) > 0 {
		ok, _, err := in.authority(n)
		if ok || err != nil {
			return ok, err
		}
	}
	a, err := in.answerer(n)
	return a != nil, err
}

// done records the outcome.
func (in *intake) done(disposition string, ticket int64) {
	in.res.disposition, in.res.ticket = disposition, ticket
}

// event returns an event of the mail on ticket n.
func (in *intake) event(n int64, kind, detail string) store.Event {
	return store.Event{Ticket: n, At: in.now, Actor: in.actor(), Kind: kind, Mail: in.mail, Detail: detail}
}

func (in *intake) actor() string {
	if in.from == "" {
		return "(no sender)"
	}
	return in.from
}

// duplicate handles a mail whose Message-ID and sender were seen before
// with other bytes: the same mail delivered twice (to two of our
// addresses, through a list). It is kept, and noted on the first one's
// ticket, but opens nothing and is not answered.
func (in *intake) duplicate() (bool, error) {
	id := normID(in.msg.MessageID)
	if id == "" {
		return false, nil
	}
	refs, err := in.tx.MailsByMessageID(in.ctx, id)
	if err != nil {
		return false, err
	}
	for _, r := range refs {
		if r.ID == in.mail || r.From != in.from {
			continue
		}
		if r.Ticket == 0 {
			in.done(DispDuplicate, 0)
			return true, nil
		}
		if err := in.tx.AttachMail(in.ctx, store.TicketMail{Mail: in.mail, Ticket: r.Ticket, Role: "duplicate", MatchedBy: "message-id"}); err != nil {
			return true, err
		}
		_, err := in.tx.AddEvent(in.ctx, in.event(r.Ticket, "duplicate",
			"the same mail ("+id+") arrived again with other bytes; kept, not taken as a new report"))
		in.done(DispDuplicate, r.Ticket)
		return true, err
	}
	return false, nil
}

// normID puts a Message-ID in one form, in angle brackets.
func normID(id string) string {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	if id == "" {
		return ""
	}
	return "<" + id + ">"
}

// oneLine strips CR, LF and other controls from text bound for a header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }), " ")
}
