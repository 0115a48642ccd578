// Package triage implements what a parsed mail means to the league: a new
// report opens a ticket, a reply is threaded onto its ticket, a bounce is
// recorded on the ticket whose mail it returns, an auto-reply is recorded
// and dropped; and it decides which mails go out (acknowledgements,
// triager notices), queued in the store's outbox.
//
// Gateway.Take takes in one raw mail: it parses it, then commits the raw
// bytes, the parse result, the ticket change and the queued mails in one
// transaction, exactly once per mail.
package triage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/replytoken"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/warninglists"
)

// Origin says where a mail was read; see store.Origin.
type Origin = store.Origin

// RejectError is returned by Take for a mail that can never be taken in;
// every other error is temporary and the mail should be offered again.
type RejectError struct {
	Reason string
}

func (e *RejectError) Error() string { return "mail rejected: " + e.Reason }

// Config is what the gateway needs to know of the league.
type Config struct {
	// Address is the league's contact address, the From of our mails.
	Address string
	// Domains are the league's own domains.
	Domains []string
	// Secret keys the reply tokens.
	Secret []byte
	// Triagers are the addresses of the triagers (contacts of kind
	// triager count too).
	Triagers []string
	// AuthservID is the authserv-id of the Authentication-Results header
	// our own MTA adds ("mx.league.example"): the only one whose DKIM and
	// SPF verdicts authenticate a triager's commands. Empty trusts no
	// header; only reply tokens authenticate then.
	AuthservID string
	// Tag is the subject tag's word: "League" gives "[League #12]".
	Tag string
	// AckLimit acknowledgements per sender in AckWindow (default 5 an hour).
	AckLimit  int
	AckWindow time.Duration
	// AckUnauthenticated acknowledges reports whose sender our MTA could
	// not authenticate. Off by default (RFC 3834 section 4): an
	// acknowledgement to a forged From is backscatter, signed by the league.
	AckUnauthenticated bool
	// AutoMailsPerHour bounds the automatic mail of the whole gateway,
	// every recipient together (default 200): over it, acknowledgements
	// wait in the outbox and triagers' notices collapse into one digest
	// per triager every DigestEvery (default 15 minutes).
	AutoMailsPerHour int
	DigestEvery      time.Duration
	// TokenTTL is how long after its ticket closed a reply token still
	// authenticates (default 30 days).
	TokenTTL time.Duration
	// ReopenWindow is how long after closing a participant's reply reopens
	// a ticket rather than opening a new one (default 30 days).
	ReopenWindow time.Duration
	// FeedTLPMax is the strictest TLP the feeds publish ([export]
	// tlp_max, green by default): #verify says whether the ticket's
	// indicators will really be published.
	FeedTLPMax string
	// MaxSize is the largest mail stored (default 256 MiB); a larger one is
	// rejected. Parser limits are far lower: a mail between the two is
	// stored in full and ticketed with the parser's reason.
	MaxSize int
	// Workers is how many mails TakeBatch parses at once (GOMAXPROCS by
	// default), never more than GOMAXPROCS at a time, and one fewer while
	// a group commits; GroupMails and GroupBytes bound the mails it commits in
	// one transaction (64 mails, 32 MiB by default; a larger mail is a
	// group of its own).
	Workers    int
	GroupMails int
	GroupBytes int
	// Parse parses one raw mail; the parser package's Parse by default.
	Parse func(raw []byte) *parser.Message
	// Warninglists are handed to the parser when Parse is nil; nil takes
	// the embedded lists.
	Warninglists *warninglists.Set
	// Open decrypts and verifies a raw mail before it is parsed (package
	// mailcrypto); nil parses every mail as it came.
	Open func(raw []byte) *mailcrypto.Opened
	// Now is the clock (time.Now by default).
	Now    func() time.Time
	Logger *slog.Logger
	// UnsubscribeURL is the base of the one-click unsubscribe links of
	// area alerts (RFC 8058), the token appended: served by the HTTP
	// listener at /unsubscribe/. Empty: alerts carry only the mailto.
	UnsubscribeURL string
}

// Gateway takes mail in and turns it into ticket changes.
type Gateway struct {
	st       *store.Store
	cfg      Config
	address  string
	domains  []string
	triagers map[string]bool
	tokens   *replytoken.Keys
	extract  *indicator.Extractor // for defanging what we quote
	log      *slog.Logger
	// cores holds a token per core (GOMAXPROCS), which a batch's parsers
	// and its committer take to run (see Batch).
	cores chan struct{}
}

// New returns a Gateway over st.
func New(st *store.Store, cfg Config) (*Gateway, error) {
	if cfg.Address == "" || !strings.Contains(cfg.Address, "@") {
		return nil, fmt.Errorf("triage: the league's address %q is not an address", cfg.Address)
	}
	if len(cfg.Secret) < 16 {
		return nil, errors.New("triage: the reply token secret must have at least 16 bytes")
	}
	if cfg.Tag == "" {
		cfg.Tag = "League"
	}
	if cfg.AckLimit == 0 {
		cfg.AckLimit = 5
	}
	if cfg.AckWindow == 0 {
		cfg.AckWindow = time.Hour
	}
	if cfg.AutoMailsPerHour == 0 {
		cfg.AutoMailsPerHour = 200
	}
	if cfg.DigestEvery == 0 {
		cfg.DigestEvery = 15 * time.Minute
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 30 * 24 * time.Hour
	}
	if cfg.ReopenWindow == 0 {
		cfg.ReopenWindow = 30 * 24 * time.Hour
	}
	if cfg.FeedTLPMax == "" {
		cfg.FeedTLPMax = "green"
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = 256 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &Gateway{st: st, cfg: cfg, tokens: replytoken.New(cfg.Secret), log: cfg.Logger, triagers: map[string]bool{},
		cores: make(chan struct{}, runtime.GOMAXPROCS(0))}
	g.address = strings.ToLower(strings.TrimSpace(cfg.Address))
	_, dom, _ := strings.Cut(g.address, "@")
	g.domains = append(g.domains, dom)
	for _, d := range cfg.Domains {
		if d = strings.ToLower(strings.Trim(d, ". ")); d != "" && d != dom {
			g.domains = append(g.domains, d)
		}
	}
	g.extract = indicator.New(indicator.Options{Exclude: g.domains})
	for _, t := range cfg.Triagers {
		g.triagers[strings.ToLower(strings.TrimSpace(t))] = true
	}
	if g.cfg.Parse == nil {
		g.cfg.Parse = func(raw []byte) *parser.Message {
			return parser.Parse(raw, parser.Options{Address: g.address, Domains: g.domains, Tag: cfg.Tag, Warninglists: cfg.Warninglists})
		}
	}
	return g, nil
}

// Tokens returns the gateway's reply tokens.
func (g *Gateway) Tokens() *replytoken.Keys { return g.tokens }

// Checkpoint returns the UIDVALIDITY and the highest UID taken in from an
// IMAP mailbox: fetch from lastUID+1.
func (g *Gateway) Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error) {
	return g.st.Checkpoint(ctx, mailbox)
}

// Taken returns those of uids, UIDs of an IMAP mailbox under uidValidity,
// that a mail was taken in from: only those may be filed as processed.
func (g *Gateway) Taken(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) ([]uint32, error) {
	return g.st.Taken(ctx, mailbox, uidValidity, uids)
}

// Take takes in one mail read at origin: raw bytes, parse result, ticket
// change, queued mails and the mailbox's checkpoint are committed in one
// transaction. A mail already taken in (same IMAP origin, or same bytes)
// changes nothing but the record of where it was seen. Only mail that can
// never be taken in gives a *RejectError; other errors are temporary.
// TakeBatch takes many at once.
func (g *Gateway) Take(ctx context.Context, raw []byte, origin Origin) error {
	p, err := g.prepare(ctx, raw, origin)
	if err != nil || p.skip {
		return err
	}
	var res result
	err = g.st.Update(ctx, func(tx *store.Tx) (err error) {
		res, err = g.commit(ctx, tx, p)
		return err
	})
	if err != nil {
		return fmt.Errorf("take mail %s from %s: %w", p.sha[:12], origin.Mailbox, err)
	}
	g.logTaken(ctx, p, res)
	return nil
}

// prepared is a mail made ready for its commit, outside the transaction:
// the costly part of a take (hash, decryption, parse, JSON), which
// TakeBatch runs on every core.
type prepared struct {
	raw    []byte
	origin Origin
	sha    string
	// skip: this origin was taken in before; nothing to do.
	skip bool
	// msg is nil when the store had these bytes already: no parse needed.
	msg   *parser.Message
	op    *mailcrypto.Opened
	parse []byte // msg as JSON, for the store
}

// Refuse returns the *RejectError that Take would give raw, a mail that
// can never be taken in, without looking at the store; nil for the rest.
func (g *Gateway) Refuse(raw []byte) error {
	if len(raw) == 0 {
		return &RejectError{Reason: "empty message"}
	}
	if len(raw) > g.cfg.MaxSize {
		return &RejectError{Reason: fmt.Sprintf("%d bytes, over the store's limit of %d", len(raw), g.cfg.MaxSize)}
	}
	return nil
}

func (g *Gateway) prepare(ctx context.Context, raw []byte, origin Origin) (*prepared, error) {
	if err := g.Refuse(raw); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	p := &prepared{raw: raw, origin: origin, sha: hex.EncodeToString(sum[:])}
	// Most duplicates are found here, before the cost of parsing.
	byOrigin, bySHA, err := g.st.Seen(ctx, origin, p.sha)
	if err != nil {
		return nil, fmt.Errorf("take mail: %w", err)
	}
	p.skip = byOrigin != 0
	if !p.skip && bySHA == 0 {
		p.parsed(g.openAndParse(raw))
	}
	return p, nil
}

func (p *prepared) parsed(msg *parser.Message, op *mailcrypto.Opened) {
	p.msg, p.op = msg, op
	parse, err := json.Marshal(msg)
	if err != nil {
		parse = []byte("{}")
	}
	p.parse = parse
}

// commit writes one prepared mail and all it causes in tx. The checks are
// made again under the write lock: another take may have won the race,
// or an earlier mail of the same group carried the same bytes.
func (g *Gateway) commit(ctx context.Context, tx *store.Tx, p *prepared) (result, error) {
	now := g.cfg.Now()
	byOrigin, bySHA, err := tx.Seen(ctx, p.origin, p.sha)
	if err != nil {
		return result{}, err
	}
	if byOrigin != 0 {
		return result{disposition: "already-taken"}, nil
	}
	if bySHA != 0 {
		if err := tx.AddOrigin(ctx, bySHA, p.origin, now); err != nil {
			return result{}, err
		}
		return result{disposition: "already-taken", mail: bySHA}, tx.AdvanceCheckpoint(ctx, p.origin, now)
	}
	if p.msg == nil {
		p.parsed(g.openAndParse(p.raw))
	}
	in, err := g.insert(ctx, tx, p.raw, p.sha, p.msg, p.parse, p.origin, now)
	if err != nil {
		return result{}, err
	}
	in.crypto = p.op
	if err := in.triage(); err != nil {
		return result{}, err
	}
	if err := in.cryptoNotes(); err != nil {
		return result{}, err
	}
	return in.res, tx.SetDisposition(ctx, in.mail, in.res.disposition)
}

func (g *Gateway) logTaken(ctx context.Context, p *prepared, res result) {
	attrs := []slog.Attr{slog.String("sha256", p.sha[:12]), slog.String("mailbox", p.origin.Mailbox), slog.Any("uid", p.origin.UID),
		slog.Int64("mail", res.mail), slog.String("disposition", res.disposition), slog.Int64("ticket", res.ticket)}
	if p.msg != nil {
		// The sender and Message-ID say whose mail it was, not what it said.
		attrs = append(attrs, slog.String("message_id", p.msg.MessageID), slog.String("from", p.msg.From), slog.String("kind", string(p.msg.Kind)))
	}
	g.log.LogAttrs(ctx, slog.LevelInfo, "mail taken", attrs...)
}

// parse runs the parser, which must never fail; if it does all the same,
// the mail is still taken in with the reason.
func (g *Gateway) parse(raw []byte) (m *parser.Message) {
	defer func() {
		if r := recover(); r != nil {
			g.log.Error("parser panicked", "panic", r)
			m = &parser.Message{Kind: parser.KindReport, Errors: []string{fmt.Sprintf("the parser failed on this mail: %v", r)}}
		}
	}()
	m = g.cfg.Parse(raw)
	if m == nil {
		m = &parser.Message{Errors: []string{"the parser returned nothing for this mail"}}
	}
	if m.Kind == "" {
		m.Kind = parser.KindReport
	}
	return m
}
