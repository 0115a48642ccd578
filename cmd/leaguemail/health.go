package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/mailin"
	"github.com/hospital-league/leaguemail/oauth"
	"github.com/hospital-league/leaguemail/store"
)

// gatewayMetrics are the gateway's own metrics; mailin and notify declare
// theirs (leaguemail_mailin_*, leaguemail_notify_*).
type gatewayMetrics struct {
	mails *prometheus.CounterVec
	parse prometheus.Histogram
	take  prometheus.Histogram
}

func newGatewayMetrics(reg prometheus.Registerer, st *store.Store) *gatewayMetrics {
	m := &gatewayMetrics{
		mails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leaguemail_mails_in_total",
			Help: "Mails offered by the intake, by result: taken (committed), rejected (never takeable, moved to the failed folder), error (left in the mailbox for a retry), poison (the gateway died on it 3 times: stored unparsed, ticketed, moved to the failed folder).",
		}, []string{"result"}),
		parse: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leaguemail_parse_duration_seconds",
			Help:    "Time to parse one mail.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		take: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "leaguemail_commit_duration_seconds",
			Help:    "Time to take one mail in: parse, then the store's transaction and its fsync.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	rows := func(help, name string, pick func(store.Counts) int) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
			c, err := st.Counts(context.Background())
			if err != nil {
				return -1
			}
			return float64(pick(c))
		})
	}
	reg.MustRegister(m.mails, m.parse, m.take,
		rows("Tickets opened since the store was created.", "leaguemail_tickets", func(c store.Counts) int { return c.Tickets }),
		rows("Distinct indicators in the store.", "leaguemail_indicators", func(c store.Counts) int { return c.Indicators }),
		rows("Mails in the store.", "leaguemail_mails_stored", func(c store.Counts) int { return c.Mails }))
	return m
}

// health is what /healthz answers: whether each mailbox is connected, how
// the last SMTP attempt went, and the outbox backlog.
type health struct {
	Status string       `json:"status"` // ok, or degraded with the reasons in problems
	Time   time.Time    `json:"time"`
	IMAP   []imapHealth `json:"imap"`
	SMTP   any          `json:"smtp"`
	Store  string       `json:"store"`
	// Role is leader (this gateway runs the IMAP intake and the timers) or
	// standby (it sends from the shared outbox and waits to take over);
	// Leader names the gateway that leads.
	Role   string        `json:"role"`
	Leader string        `json:"leader,omitempty"`
	OAuth  *oauth.Status `json:"oauth,omitempty"`
	Issues []string      `json:"problems,omitempty"`
}

type imapHealth struct {
	Mailbox     string    `json:"mailbox"`
	Connected   bool      `json:"connected"`
	LastError   string    `json:"last_error,omitempty"`
	ErrorSince  time.Time `json:"error_since,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Unmoved mails were taken in but the server refuses to move them out
	// of the mailbox (MoveError says why); new mail is still taken in.
	Unmoved   int    `json:"unmoved,omitempty"`
	MoveError string `json:"move_error,omitempty"`
}

// mailboxHealth is what /healthz says of one mailbox, and its problems.
func mailboxHealth(s mailin.Status) (imapHealth, []string) {
	h := imapHealth{s.Mailbox, s.Connected, s.LastError, s.ErrorSince, s.LastSuccess, s.Unmoved, s.MoveError}
	var issues []string
	if !s.Connected {
		msg := "imap " + s.Mailbox + ": not connected"
		if s.LastError != "" {
			msg += ": " + s.LastError
		}
		issues = append(issues, msg)
	}
	if s.Unmoved > 0 {
		// Taken, so nothing is lost, but the mailbox fills up (and a full
		// quota soon refuses new mail too): someone must act.
		issues = append(issues, fmt.Sprintf("imap %s: %d mails taken in but not moved out of the mailbox, retried each poll interval: %s",
			s.Mailbox, s.Unmoved, s.MoveError))
	}
	return h, issues
}

// healthz answers 200 when every mailbox is connected, the last SMTP
// attempt worked and the store answers; 503 with the reasons otherwise,
// so that a monitor pages someone while mail is not flowing.
func (g *gateway) healthz(w http.ResponseWriter, r *http.Request) {
	h := health{Status: "ok", Time: time.Now().UTC(), Store: "ok"}
	role, lease := g.leader.Role()
	h.Role, h.Leader = role, lease.Holder
	for _, in := range g.intakes {
		if role != "leader" {
			break // a standby reads no mailbox: nothing is wrong with that
		}
		ih, issues := mailboxHealth(in.Status())
		h.IMAP = append(h.IMAP, ih)
		h.Issues = append(h.Issues, issues...)
	}
	if g.oauth != nil {
		// The token endpoint's own words, never a token or a secret.
		st := g.oauth.Status()
		h.OAuth = &st
		if st.LastError != "" {
			h.Issues = append(h.Issues, "oauth: "+st.LastError)
		}
	}
	ss := g.sender.Status()
	h.SMTP = ss
	if !ss.LastAttempt.IsZero() && ss.LastResult != "ok" {
		h.Issues = append(h.Issues, "smtp: "+ss.LastResult)
	}
	if _, err := g.st.Counts(r.Context()); err != nil {
		h.Store = err.Error()
		h.Issues = append(h.Issues, "store: "+err.Error())
	}
	code := http.StatusOK
	if len(h.Issues) > 0 {
		h.Status, code = "degraded", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(h)
}
