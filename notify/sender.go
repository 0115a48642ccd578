package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/oauth"
	"github.com/hospital-league/leaguemail/parser/indicator"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/templates"
)

// Config is what the sender needs to know.
type Config struct {
	// URL is the [smtp] url (see ParseURL).
	URL string
	// From is the league's address: the From of every mail, and the
	// envelope sender, so that bounces come back to the gateway.
	From string
	// Name is the display name of From, and the league's identity in the
	// STIX attachments (export.DefaultLeague by default, as in the feeds).
	Name string
	// Tag is the subject tag's word, for tags a mail's data lacks.
	Tag string
	// Lang is the language of recipients whose own is not known ([league]
	// lang, BCP 47): its templates (ack.fr.txt) are used when there are.
	Lang string
	// Domains are the league's own domains (From's domain is one): never
	// sent to.
	Domains []string
	// CAFile verifies the server's certificate instead of the system roots.
	CAFile string
	// Auth is how to log in: oauth.Password (the url's user and password,
	// the default), oauth.XOAUTH2 or oauth.OAuthBearer with a token of
	// Tokens for the url's user.
	Auth oauth.Mechanism
	// Tokens gives the access tokens of an OAuth login.
	Tokens oauth.TokenSource
	// HelloName is the EHLO name (the host name by default).
	HelloName string
	// DKIM signs every mail when set.
	DKIM DKIM
	// Crypto signs and encrypts (OpenPGP, S/MIME) when set.
	Crypto Crypto
	// TemplatesDir overrides the embedded templates file by file.
	TemplatesDir string
	// Claimer names this sender among the gateways sharing the outbox
	// (random when empty); ClaimFor is how long a claim on a mail holds
	// (1 minute): a sender that died gives its mails back after that.
	Claimer  string
	ClaimFor time.Duration
	// BatchSize is the most mails sent over one connection (50).
	BatchSize int
	// AutoMailsPerHour is the budget of automatic mail (see budget.go),
	// 200 by default.
	AutoMailsPerHour int
	// Poll is how often the outbox is read when nothing wakes the sender (1s).
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts (1 minute,
	// 1 hour); GiveUpAfter ends retries, counted from the queueing (5 days,
	// as MTAs do).
	MinBackoff, MaxBackoff, GiveUpAfter time.Duration
	// Timeout bounds each SMTP command (5 minutes, RFC 5321 section 4.5.3.2).
	Timeout time.Duration
	// Registerer gets the metrics (none when nil).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	// Now is the clock (time.Now by default).
	Now func() time.Time
}

// Sender sends the outbox's mails.
type Sender struct {
	st      *store.Store
	cfg     Config
	srv     *Server
	tls     *tls.Config
	tmpl    *templates.Set
	dkim    *dkim.SignOptions
	domains []string
	extract *indicator.Extractor
	tokenRE *regexp.Regexp // our reply addresses with a token
	log     *slog.Logger
	m       *Metrics
	wake    chan struct{}

	batch sync.Mutex // one batch at a time
	// unrecorded are the mails the server accepted but the store could
	// not mark sent (locked, disk full). They must not go out again: they
	// are recorded before anything else is sent. Guarded by batch.
	unrecorded []accepted

	tmplMu sync.RWMutex // Reload swaps tmpl while batches render

	mu     sync.Mutex
	status Status
}

// Status is the sender's state, for /healthz.
type Status struct {
	// LastAttempt is when a batch last tried the server; LastResult says
	// how it went: "ok" or the error.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastResult  string    `json:"last_result,omitempty"`
	// LastSuccess is when the server last accepted a mail.
	LastSuccess time.Time     `json:"last_success,omitzero"`
	Backlog     store.Backlog `json:"backlog"`
}

// New returns a Sender over st. It checks the whole configuration (url,
// CA file, DKIM key, templates) so that a mistake stops the gateway at
// start, not at the first mail.
func New(st *store.Store, cfg Config) (*Sender, error) {
	if cfg.Auth == "" {
		cfg.Auth = oauth.Password
	}
	if cfg.Auth.OAuth() && cfg.Tokens == nil {
		return nil, fmt.Errorf("smtp: auth %s needs a token source ([oauth])", cfg.Auth)
	}
	srv, err := parseURL(cfg.URL, !cfg.Auth.OAuth())
	if err != nil {
		return nil, err
	}
	from, err := address(strings.ToLower(cfg.From))
	if err != nil {
		return nil, fmt.Errorf("league address: %w", err)
	}
	cfg.From = from
	if cfg.Name == "" {
		cfg.Name = export.DefaultLeague
	}
	if cfg.Tag == "" {
		cfg.Tag = "League"
	}
	if cfg.AutoMailsPerHour <= 0 {
		cfg.AutoMailsPerHour = 200
	}
	if cfg.Claimer == "" {
		cfg.Claimer = randomClaimer()
	}
	if cfg.ClaimFor <= 0 {
		cfg.ClaimFor = time.Minute
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 50
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Minute
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 5 * 24 * time.Hour
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HelloName == "" {
		cfg.HelloName, _ = os.Hostname()
		if !strings.Contains(cfg.HelloName, ".") {
			_, cfg.HelloName, _ = strings.Cut(from, "@")
		}
	}
	s := &Sender{st: st, cfg: cfg, srv: srv, log: cfg.Logger, m: NewMetrics(cfg.Registerer), wake: make(chan struct{}, 1)}
	_, own, _ := strings.Cut(from, "@")
	s.domains = []string{own}
	for _, d := range cfg.Domains {
		if d = strings.ToLower(strings.Trim(d, ". ")); d != "" && d != own {
			s.domains = append(s.domains, d)
		}
	}
	s.extract = indicator.New(indicator.Options{Exclude: s.domains})
	local, dom, _ := strings.Cut(from, "@")
	s.tokenRE = regexp.MustCompile(`(?i)` + regexp.QuoteMeta(local) + `\+t[0-9]+-[a-z2-7]{12}@` + regexp.QuoteMeta(dom))
	if s.tls, err = tlsConfig(srv.Host, cfg.CAFile); err != nil {
		return nil, err
	}
	if s.tmpl, err = templates.Load(cfg.TemplatesDir); err != nil {
		return nil, err
	}
	if s.dkim, err = loadDKIM(cfg.DKIM); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Sender) now() time.Time { return s.cfg.Now() }

// Wake makes Run read the outbox now, without waiting for the next poll:
// triage calls it after queueing mail.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Status returns the sender's state.
func (s *Sender) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

// Run sends due mails until ctx ends: every Poll, at once after Wake, and
// again without waiting while full batches come. When ctx ends it finishes
// the SMTP transaction in flight, records its result and returns nil.
func (s *Sender) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		_, taken, err := s.sendDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.log.Warn("outbox", "error", err)
		}
		if taken == s.cfg.BatchSize && err == nil {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
	}
}

// SendDue sends the mails due now, one batch over one connection, and
// returns how many the server accepted. Every mail it takes gets a result
// in the store: sent, retry at a later time, failed or suppressed.
func (s *Sender) SendDue(ctx context.Context) (sent int, err error) {
	sent, _, err = s.sendDue(ctx)
	return sent, err
}

// ready is a mail rendered and signed, waiting for the connection.
type ready struct {
	m   store.OutboxMail
	msg []byte
}

// sendDue sends one batch; taken counts the mails read from the outbox.
func (s *Sender) sendDue(ctx context.Context) (sent, taken int, err error) {
	s.batch.Lock()
	defer s.batch.Unlock()
	// Results are recorded even when ctx ends: a mail the server took must
	// be marked sent, or it would go out twice.
	rec := context.WithoutCancel(ctx)
	defer s.refreshBacklog(rec)
	if err := s.recordAccepted(rec); err != nil {
		return 0, 0, err
	}
	due, err := s.st.ClaimDue(ctx, s.cfg.Claimer, s.now(), s.cfg.BatchSize, s.cfg.ClaimFor)
	if err != nil {
		return 0, 0, fmt.Errorf("read outbox: %w", err)
	}
	taken = len(due)
	// Whatever of the batch is left unsent when it ends (a stop, a broken
	// connection) is given back at once, free for any gateway to send.
	defer func() {
		ids := make([]int64, len(due))
		for i, m := range due {
			ids[i] = m.ID
		}
		if err := s.st.ReleaseClaims(rec, s.cfg.Claimer, ids); err != nil {
			s.log.Warn("outbox: give back unsent mails", "error", err)
		}
	}()
	budget, err := s.budgetLeft(ctx)
	if err != nil {
		return 0, taken, err
	}
	var batch []ready
	for _, m := range due {
		if why := s.refuse(m); why != "" {
			s.suppress(rec, m, why)
			continue
		}
		if store.Automatic(m.Kind) {
			if budget <= 0 && m.Kind == store.KindAck {
				s.hold(rec, m)
				continue
			}
			budget--
		}
		msg, err := s.build(ctx, m)
		var se *storeError
		if errors.As(err, &se) {
			// The store is unwell, not the mail: try again later.
			return 0, taken, err
		}
		if err != nil {
			// The mail cannot be built, and retrying will not mend it.
			s.fail(rec, m, fmt.Sprintf("cannot render: %v", err), "")
			continue
		}
		batch = append(batch, ready{m, msg})
	}
	if len(batch) == 0 {
		return 0, taken, nil
	}
	c, err := s.connect(ctx)
	if err != nil {
		s.m.connectErrors.Inc()
		s.setResult(err)
		for _, r := range batch {
			s.retry(rec, r.m, err)
		}
		return 0, taken, err
	}
	defer func() {
		if c != nil {
			c.Quit()
			c.Close()
		}
	}()
	for _, r := range batch {
		if ctx.Err() != nil {
			// The rest stay queued and due, untouched (and given back).
			return sent, taken, nil
		}
		// Another gateway sharing the outbox sends a mail whose claim ran
		// out: this one must not send it too.
		if ok, err := s.st.RenewClaim(rec, r.m.ID, s.cfg.Claimer, s.cfg.ClaimFor); err != nil || !ok {
			if err != nil {
				return sent, taken, fmt.Errorf("renew claim on outbox mail %d: %w", r.m.ID, err)
			}
			s.log.Warn("outbox: claim on a mail ran out before it was sent; left to the gateway that has it", s.attrs(r.m)...)
			continue
		}
		start := time.Now()
		refused, err := transact(c, r.m.From, r.m.Recipients, r.msg)
		s.m.sendSeconds.Observe(time.Since(start).Seconds())
		if err == nil {
			sent++
			if err := s.delivered(rec, r.m, refused); err != nil {
				// What the server takes now could not be recorded either.
				return sent, taken, err
			}
			continue
		}
		s.setResult(err)
		switch classify(err) {
		case permanent:
			s.fail(rec, r.m, err.Error(), dsnStatus(err))
		case temporary:
			s.retry(rec, r.m, err)
		case broken:
			s.retry(rec, r.m, err)
			c.Close()
			c = nil
			return sent, taken, err
		}
		// A failed transaction leaves the session mid-way: start afresh.
		if err := c.Reset(); err != nil {
			c.Close()
			c = nil
			return sent, taken, fmt.Errorf("rset: %w", err)
		}
	}
	return sent, taken, nil
}

// build renders and signs m.
func (s *Sender) build(ctx context.Context, m store.OutboxMail) ([]byte, error) {
	// The Subject header leaves defanged too (DESIGN.md invariant 6): a
	// reporter's subject is often the phish's own.
	m.Subject = s.guardTokens(s.extract.DefangText(m.Subject), m.ReplyTo)
	v, err := s.buildView(ctx, m)
	if err != nil {
		return nil, err
	}
	p, err := s.protect(ctx, &m, &v)
	if err != nil {
		return nil, err
	}
	msg, err := Render(s.templates(), m, v)
	if err != nil {
		return nil, err
	}
	if msg, err = p.apply(s.cfg.Crypto, msg); err != nil {
		return nil, err
	}
	if s.dkim != nil {
		return sign(s.dkim, msg)
	}
	return msg, nil
}

// storeError is a store read that failed while building a mail: worth
// retrying, unlike a mail that cannot be built.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

func dsnStatus(err error) string {
	var se *smtp.SMTPError
	if errors.As(err, &se) && se.EnhancedCode != smtp.EnhancedCodeNotSet && se.EnhancedCode != smtp.NoEnhancedCode {
		return fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	}
	return ""
}

func (s *Sender) attrs(m store.OutboxMail) []any {
	return []any{"outbox", m.ID, "kind", m.Kind, "ticket", m.Ticket, "message_id", m.MessageID}
}

// accepted is a mail the server accepted, to be recorded as sent.
type accepted struct {
	m       store.OutboxMail
	refused map[string]error // recipients refused for good
	at      time.Time
}

// record marks a as sent in the store.
func (s *Sender) record(ctx context.Context, a accepted) error {
	if len(a.refused) == 0 {
		return s.st.MarkSent(ctx, a.m.ID, a.at)
	}
	why := map[string]string{}
	for r, e := range a.refused {
		why[r] = e.Error()
	}
	return s.st.MarkSentPartly(ctx, a.m.ID, why, a.at)
}

// recordAccepted records the mails accepted earlier that the store could
// not record then. Until it can, nothing is sent: the mail would go out
// again at the next poll, and every other mail sent would be one more
// the store cannot record.
func (s *Sender) recordAccepted(ctx context.Context) error {
	for len(s.unrecorded) > 0 {
		a := s.unrecorded[0]
		if err := s.record(ctx, a); err != nil {
			return fmt.Errorf("record %d mail(s) sent earlier (sending paused until the store takes them): %w", len(s.unrecorded), err)
		}
		s.log.Info("outbox: mail sent earlier now recorded", s.attrs(a.m)...)
		s.unrecorded = s.unrecorded[1:]
	}
	return nil
}

// delivered records that the server accepted m. When the store cannot
// record it, m is kept to be recorded later, and the error returned.
func (s *Sender) delivered(ctx context.Context, m store.OutboxMail, refused map[string]error) error {
	now := s.now()
	a := accepted{m: m, refused: refused, at: now}
	err := s.record(ctx, a)
	if err != nil {
		// The server has the mail: it must not go out again, but the
		// outbox still says it is due. Only a crash before the store
		// records it sends it twice.
		s.unrecorded = append(s.unrecorded, a)
		s.log.Error("outbox: mail sent but not recorded; it is not sent again, and recorded when the store recovers",
			append(s.attrs(m), "error", err)...)
		err = fmt.Errorf("record mail %d as sent: %w", m.ID, err)
	}
	s.m.sent.WithLabelValues(m.Kind).Inc()
	s.m.lastSuccess.Set(float64(now.Unix()))
	s.mu.Lock()
	s.status.LastAttempt, s.status.LastResult, s.status.LastSuccess = now, "ok", now
	s.mu.Unlock()
	s.log.Info("mail sent", append(s.attrs(m), "refused", len(refused))...)
	return err
}

func (s *Sender) retry(ctx context.Context, m store.OutboxMail, cause error) {
	now := s.now()
	if now.Sub(m.CreatedAt) >= s.cfg.GiveUpAfter {
		s.fail(ctx, m, fmt.Sprintf("gave up after %s of retries: %v", s.cfg.GiveUpAfter, cause), dsnStatus(cause))
		return
	}
	next := now.Add(backoff(m.Attempts, s.cfg.MinBackoff, s.cfg.MaxBackoff))
	if err := s.st.MarkRetry(ctx, m.ID, cause, next); err != nil {
		s.log.Error("outbox: cannot record a retry", append(s.attrs(m), "error", err)...)
	}
	s.m.deferred.WithLabelValues(m.Kind).Inc()
	s.log.Warn("mail deferred", append(s.attrs(m), "error", cause, "next", next)...)
}

func (s *Sender) fail(ctx context.Context, m store.OutboxMail, reason, dsn string) {
	err := s.st.Update(ctx, func(tx *store.Tx) error {
		return tx.MarkFailed(ctx, m.ID, store.Failure{Reason: reason, DSNStatus: dsn, At: s.now(), Attempted: true})
	})
	if err != nil {
		s.log.Error("outbox: cannot record a failure", append(s.attrs(m), "error", err)...)
	}
	s.m.failed.WithLabelValues(m.Kind).Inc()
	s.log.Error("mail failed", append(s.attrs(m), "reason", reason)...)
}

func (s *Sender) suppress(ctx context.Context, m store.OutboxMail, why string) {
	if err := s.st.MarkSuppressed(ctx, m.ID, "refused before sending: "+why, s.now()); err != nil {
		s.log.Error("outbox: cannot record a suppression", append(s.attrs(m), "error", err)...)
	}
	s.m.suppressed.WithLabelValues(m.Kind).Inc()
	s.log.Warn("mail suppressed", append(s.attrs(m), "reason", why)...)
}

func (s *Sender) setResult(err error) {
	s.mu.Lock()
	s.status.LastAttempt, s.status.LastResult = s.now(), err.Error()
	s.mu.Unlock()
}

func (s *Sender) refreshBacklog(ctx context.Context) {
	b, err := s.st.OutboxBacklog(ctx, s.now())
	if err != nil {
		return
	}
	s.m.backlog.Set(float64(b.Queued))
	s.mu.Lock()
	s.status.Backlog = b
	s.mu.Unlock()
}

// randomClaimer names a sender that was given no name.
func randomClaimer() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "sender-" + hex.EncodeToString(b)
}
