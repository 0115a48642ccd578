package mailin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/hospital-league/leaguemail/oauth"
)

// Intake reads one mailbox into a Sink. Make it with New and start it with Run.
type Intake struct {
	cfg  Config
	acct *Account
	sink Sink
	tls  *tls.Config
	log  *slog.Logger
	m    *mailboxMetrics

	// Test switches: behave as if the server lacked MOVE or IDLE.
	noMove, noIdle bool

	// progressed says whether the current session took any mail in; only
	// Run's goroutine uses it.
	progressed bool
	// suspects are the UIDs in hand at earlier crashes, with their crashes
	// in a row, read once per UIDVALIDITY (see session.recover); only
	// Run's goroutine uses them.
	suspects   map[imap.UID]int
	suspectsUV uint32
	// unreleased are UIDs whose Release the sink failed, retried before
	// the next Hold and when Run returns.
	unreleased   []imap.UID
	unreleasedUV uint32

	mu     sync.Mutex
	status Status
	outage outage
}

// Status is what /healthz reports of one mailbox.
type Status struct {
	Mailbox     string    // Account.Name
	Connected   bool      // logged in with the mailbox selected
	LastError   string    // the last error, "" when none since the last success
	ErrorSince  time.Time // start of the current outage; zero when none
	LastSuccess time.Time // when the mailbox was last found fully taken in
	// Unmoved counts the mails taken in (or rejected) that the server
	// refused to move out of the mailbox at the last try; they are tried
	// again each poll interval. MoveError is the server's refusal, ""
	// once every move went through.
	Unmoved   int
	MoveError string
}

// outage tracks a run of failed sessions so that it is logged once, not per try.
type outage struct {
	since time.Time
	tries int
}

// New checks cfg and makes the intake of its mailbox.
func New(cfg Config, sink Sink) (*Intake, error) {
	if sink == nil {
		return nil, errNoSink
	}
	if cfg.Auth == "" {
		cfg.Auth = oauth.Password
	}
	if cfg.Auth.OAuth() && cfg.Tokens == nil {
		return nil, fmt.Errorf("imap: auth %s needs a token source ([oauth])", cfg.Auth)
	}
	acct, err := parseURL(cfg.URL, !cfg.Auth.OAuth())
	if err != nil {
		return nil, err
	}
	if cfg.Auth.OAuth() && acct.Auth != "" {
		return nil, fmt.Errorf("imap url: auth=%s in the url, but the login is by %s token: drop the parameter", acct.Auth, cfg.Auth.SASLName())
	}
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	tc, err := tlsConfig(acct, cfg.CAFile)
	if err != nil {
		return nil, err
	}
	name := acct.Name()
	return &Intake{
		cfg:    cfg,
		acct:   acct,
		sink:   sink,
		tls:    tc,
		log:    cfg.Logger.With("mailbox", acct.String()),
		m:      cfg.Metrics.forMailbox(name),
		status: Status{Mailbox: name},
	}, nil
}

// Run checks and configures cfg, then reads its mailbox into sink until ctx
// ends; see Intake.Run.
func Run(ctx context.Context, cfg Config, sink Sink) error {
	in, err := New(cfg, sink)
	if err != nil {
		return err
	}
	return in.Run(ctx)
}

// RunAll runs every intake in a goroutine of its own, all feeding their
// sinks at once, and returns when they have all ended.
func RunAll(ctx context.Context, intakes ...*Intake) error {
	var wg sync.WaitGroup
	errs := make([]error, len(intakes))
	for i, in := range intakes {
		wg.Go(func() { errs[i] = in.Run(ctx) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Name is the mailbox's stable name, as in Origin.Mailbox.
func (in *Intake) Name() string { return in.acct.Name() }

// Status reports the state of the intake.
func (in *Intake) Status() Status {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.status
}

// Run reads the mailbox into the sink until ctx ends, then returns nil. Any
// error of the network, the server or the sink ends the session; Run then
// waits (with backoff and jitter) and connects again.
func (in *Intake) Run(ctx context.Context) error {
	defer func() {
		if err := in.releaseLeft(ctx); err != nil {
			in.log.Warn("imap: stopping with mail recorded in hand; the next start counts it as a crash", "err", err)
		}
	}()
	delay := in.cfg.RetryMin
	for {
		in.progressed = false
		err := in.session(ctx)
		if ctx.Err() != nil {
			in.setConnected(false)
			return nil
		}
		if err == nil {
			err = errors.New("session ended") // never returned, but never spin
		}
		if in.failed(err) || in.progressed {
			// The session had caught up, or taken mail in, before
			// failing: the server works, so the wait starts over. A link
			// that drops now and then must not push the retries out to
			// RetryMax while mail is waiting.
			delay = in.cfg.RetryMin
		}
		wait := jitter(delay)
		delay = min(2*delay, in.cfg.RetryMax)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			in.setConnected(false)
			return nil
		case <-t.C:
		}
	}
}

// jitter spreads d over [d/2, d) so that mailboxes, and gateways, that lost
// the same server do not come back in step.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// failed records a session's error. It logs the first error of an outage as a
// warning and the next ones only at debug level. It reports whether this
// error starts a new outage.
func (in *Intake) failed(err error) (fresh bool) {
	in.m.errors.Inc()
	in.m.connected.Set(0)
	in.mu.Lock()
	fresh = in.outage.tries == 0
	if fresh {
		in.outage.since = time.Now()
		in.status.ErrorSince = in.outage.since
	}
	in.outage.tries++
	tries := in.outage.tries
	in.status.Connected = false
	in.status.LastError = err.Error()
	in.mu.Unlock()
	if fresh {
		in.log.Warn("imap intake interrupted; reconnecting with backoff", "err", err)
	} else {
		in.log.Debug("imap intake still failing", "err", err, "tries", tries)
	}
	return fresh
}

// caughtUp records that the mailbox was found fully taken in, which ends
// any outage.
func (in *Intake) caughtUp() {
	now := time.Now()
	in.m.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
	in.m.connected.Set(1)
	in.mu.Lock()
	o := in.outage
	in.outage = outage{}
	in.status.Connected = true
	in.status.LastError = ""
	in.status.ErrorSince = time.Time{}
	in.status.LastSuccess = now
	in.mu.Unlock()
	if o.tries > 0 {
		in.log.Info("imap intake recovered", "down_for", now.Sub(o.since).Round(time.Millisecond), "tries", o.tries)
	}
}

// refusedMoves records that n mails wait in the mailbox because the server
// refused to move them. It reports whether this starts a run of refusals.
func (in *Intake) refusedMoves(n int, err error) (fresh bool) {
	in.m.unmoved.Set(float64(n))
	in.mu.Lock()
	defer in.mu.Unlock()
	fresh = in.status.MoveError == ""
	in.status.Unmoved = n
	in.status.MoveError = err.Error()
	return fresh
}

// settleMoves records the outcome of a sweep that tried every waiting
// move: n mails are still unmoved.
func (in *Intake) settleMoves(n int) {
	in.m.unmoved.Set(float64(n))
	in.mu.Lock()
	was := in.status.Unmoved
	in.status.Unmoved = n
	if n == 0 {
		in.status.MoveError = ""
	}
	in.mu.Unlock()
	if n == 0 && was > 0 {
		in.log.Info("imap: the server moves mail again; the waiting mail is filed", "count", was)
	}
}

func (in *Intake) setConnected(b bool) {
	if b {
		in.m.connected.Set(1)
	} else {
		in.m.connected.Set(0)
	}
	in.mu.Lock()
	in.status.Connected = b
	in.mu.Unlock()
}

// storeError marks a temporary error of the sink, to tell it apart from the
// server's in logs.
type storeError struct{ err error }

func (e *storeError) Error() string { return fmt.Sprintf("store: %v", e.err) }
func (e *storeError) Unwrap() error { return e.err }
