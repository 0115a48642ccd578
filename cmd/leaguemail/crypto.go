package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/notify"
	"github.com/hospital-league/leaguemail/store"
)

// cryptoParts are the league's keys loaded from [crypto], and the
// contacts' keys from the store, for notify and triage.
type cryptoParts struct {
	league *mailcrypto.League
	smime  *mailcrypto.SMIME
	cfg    config.Crypto
	st     *store.Store
	log    *slog.Logger

	// opened counts incoming mail by what the crypto layer found, for
	// /metrics (nil: not counted).
	opened *prometheus.CounterVec

	mu     sync.Mutex
	loaded time.Time
	known  []*mailcrypto.Key
	certs  []*mailcrypto.Cert
}

// loadCrypto reads the league's key and certificate; a mistake names the
// config key.
func loadCrypto(cfg *config.Config, st *store.Store, log *slog.Logger) (*cryptoParts, error) {
	c := &cryptoParts{cfg: cfg.Crypto, st: st, log: log}
	var err error
	if cfg.Crypto.Key != "" {
		if c.league, err = mailcrypto.LoadLeague(cfg.Crypto.Key, cfg.Crypto.PassphraseFile); err != nil {
			return nil, cfg.Errorf("crypto.key", "%v", err)
		}
	}
	if cfg.Crypto.SMIMECert != "" {
		if c.smime, err = mailcrypto.LoadSMIME(cfg.Crypto.SMIMECert, cfg.Crypto.SMIMEKey); err != nil {
			return nil, cfg.Errorf("crypto.smime_cert", "%v", err)
		}
	}
	return c, nil
}

// notify is the sender's part of the config.
func (c *cryptoParts) notify(cfg *config.Config) notify.Crypto {
	n := notify.Crypto{League: c.league, SMIME: c.smime, Sign: c.cfg.Signs(), RequireFor: c.cfg.Required(),
		KeyURL: c.cfg.KeyURL, Triagers: cfg.Triage.Triagers}
	if n.RequireFor == "none" {
		n.RequireFor = ""
	}
	if c.league != nil && n.KeyURL == "" {
		n.KeyURL = mailcrypto.WKDURL(cfg.League.Address)
	}
	return n
}

// options are what triage opens incoming mail with: the contacts' keys
// are read from the store again at most every 10 seconds, so that a key
// just imported counts without a restart.
func (c *cryptoParts) options(ctx context.Context) mailcrypto.Options {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.loaded) > 10*time.Second {
		if err := c.reload(ctx); err != nil {
			c.log.Warn("contacts' keys not reloaded", "error", err)
		}
	}
	return mailcrypto.Options{League: c.league, SMIME: c.smime, Known: c.known, Certs: c.certs}
}

func (c *cryptoParts) reload(ctx context.Context) error {
	keys, err := c.st.Keys(ctx)
	if err != nil {
		return err
	}
	var known []*mailcrypto.Key
	var certs []*mailcrypto.Cert
	for _, k := range keys {
		switch k.Kind {
		case store.KeyOpenPGP:
			pk, err := mailcrypto.ParseKey(k.Data)
			if err != nil {
				c.log.Warn("stored key unreadable", "fingerprint", k.Fingerprint, "error", err)
				continue
			}
			known = append(known, pk)
		case store.KeySMIME:
			cs, err := mailcrypto.ParseCerts(k.Data)
			if err != nil {
				c.log.Warn("stored certificate unreadable", "fingerprint", k.Fingerprint, "error", err)
				continue
			}
			certs = append(certs, cs...)
		}
	}
	c.known, c.certs, c.loaded = known, certs, time.Now()
	return nil
}

// handler serves the league's public key (WKD and /key.asc), nil without
// a key.
func (c *cryptoParts) handler(address string) http.Handler {
	if c.league == nil {
		return nil
	}
	return c.league.Handler(address)
}

func (c *cryptoParts) String() string {
	if c.league == nil {
		return "no league key"
	}
	return fmt.Sprintf("league key %s", c.league.Public().Fingerprint())
}

// open decrypts and verifies one incoming mail (triage.Config.Open).
func (c *cryptoParts) open(raw []byte) *mailcrypto.Opened {
	op := mailcrypto.Open(raw, c.options(context.Background()))
	if c.opened != nil {
		switch {
		case op.Error != "":
			c.opened.WithLabelValues("undecryptable").Inc()
		case op.Encrypted:
			c.opened.WithLabelValues("decrypted").Inc()
		}
		if s := op.Signature; s != nil {
			if s.Valid {
				c.opened.WithLabelValues("signature-valid").Inc()
			} else {
				c.opened.WithLabelValues("signature-invalid").Inc()
			}
		}
	}
	return op
}

// count registers the counter of opened mail with reg.
func (c *cryptoParts) count(reg prometheus.Registerer) {
	c.opened = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "leaguemail_crypto_mails_in_total",
		Help: "Mails taken in that came encrypted or signed, by result: decrypted, undecryptable, signature-valid, signature-invalid.",
	}, []string{"result"})
	reg.MustRegister(c.opened)
}
