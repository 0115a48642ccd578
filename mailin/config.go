package mailin

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hospital-league/leaguemail/oauth"
)

// Config configures the intake of one mailbox.
type Config struct {
	// URL is the [imap] url; see ParseURL.
	URL string
	// Processed is the folder that mail is moved to once the Sink has
	// committed it ("Processed" when empty).
	Processed string
	// Failed is the folder for mail the Sink rejected ("Failed" when empty).
	Failed string
	// CAFile is a PEM file of the certificate authorities to trust instead
	// of the system's, for a server with a private CA.
	CAFile string
	// PollInterval is how often the mailbox is checked when the server has
	// no IDLE (1 minute when zero).
	PollInterval time.Duration
	// IdleRestart is how long one IDLE lasts before it is re-issued (20
	// minutes when zero; at most 29, as RFC 2177 lets servers drop an idle
	// client after 30).
	IdleRestart time.Duration
	// BatchSize is how many messages one FETCH asks for (256 when zero).
	// The sink takes a batch in group commits, parsing ahead of them only
	// within the batch: each batch starts with the commit idle and ends
	// with the parsers idle, so larger batches keep both busy. A crash
	// with mail in hand makes every held mail (up to two batches) a
	// suspect, taken alone at the restart: that bounds it.
	BatchSize int
	// BatchBytes bounds the bytes of mail one FETCH asks for, by the
	// sizes a light FETCH gave first (64 MiB when zero); a mail larger
	// than it is fetched alone. It bounds the memory of a catch-up.
	BatchBytes int64
	// RetryMin and RetryMax bound the wait before reconnecting after an
	// error (1 second and 5 minutes when zero); the wait doubles each try,
	// with jitter, up to RetryMax.
	RetryMin, RetryMax time.Duration
	// Timeout bounds the wait for any one reply of the server (2 minutes
	// when zero); past it the connection is dropped and made again.
	Timeout time.Duration
	// Auth is how to log in: oauth.Password (the url's password, the
	// default), oauth.XOAUTH2 or oauth.OAuthBearer with a token of Tokens.
	Auth oauth.Mechanism
	// Tokens gives the access tokens of an OAuth login.
	Tokens oauth.TokenSource
	// Logger receives the intake's logs (slog.Default when nil).
	Logger *slog.Logger
	// Metrics counts what the intake does (nothing is exported when nil).
	Metrics *Metrics
}

const (
	defaultProcessed    = "Processed"
	defaultFailed       = "Failed"
	defaultPollInterval = time.Minute
	defaultIdleRestart  = 20 * time.Minute
	maxIdleRestart      = 29 * time.Minute
	defaultBatchSize    = 256
	defaultBatchBytes   = 64 << 20
	defaultRetryMin     = time.Second
	defaultRetryMax     = 5 * time.Minute
	defaultTimeout      = 2 * time.Minute
)

// withDefaults checks c and fills in its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.Processed == "" {
		c.Processed = defaultProcessed
	}
	if c.Failed == "" {
		c.Failed = defaultFailed
	}
	if c.Processed == c.Failed {
		return c, fmt.Errorf("imap: processed and failed folders are both %q: they must differ", c.Processed)
	}
	if c.PollInterval == 0 {
		c.PollInterval = defaultPollInterval
	}
	if c.IdleRestart == 0 {
		c.IdleRestart = defaultIdleRestart
	}
	if c.IdleRestart < 0 || c.IdleRestart > maxIdleRestart {
		return c, fmt.Errorf("imap: idle restart %v: want at most %v", c.IdleRestart, maxIdleRestart)
	}
	if c.PollInterval < 0 {
		return c, fmt.Errorf("imap: poll interval %v: want a positive duration", c.PollInterval)
	}
	if c.BatchSize == 0 {
		c.BatchSize = defaultBatchSize
	}
	if c.BatchSize < 0 {
		return c, fmt.Errorf("imap: batch size %d: want a positive number", c.BatchSize)
	}
	if c.BatchBytes == 0 {
		c.BatchBytes = defaultBatchBytes
	}
	if c.BatchBytes < 0 {
		return c, fmt.Errorf("imap: batch bytes %d: want a positive number", c.BatchBytes)
	}
	if c.RetryMin == 0 {
		c.RetryMin = defaultRetryMin
	}
	if c.RetryMax == 0 {
		c.RetryMax = defaultRetryMax
	}
	if c.RetryMin < 0 || c.RetryMax < c.RetryMin {
		return c, fmt.Errorf("imap: retry bounds %v..%v: want 0 < min <= max", c.RetryMin, c.RetryMax)
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("imap: timeout %v: want a positive duration", c.Timeout)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

// tlsConfig is the TLS configuration for the account's server.
func tlsConfig(a *Account, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: a.Host, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("imap: CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("imap: CA file %s: no PEM certificate in it", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}

var errNoSink = errors.New("imap: no sink to take mail in")
