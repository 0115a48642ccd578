package notify

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/internal/metricreg"
)

// The sender's metrics; mails are labelled with their kind (ack,
// escalation, ...), a short fixed list.
var (
	sentOpts = prometheus.CounterOpts{
		Name: "leaguemail_notify_sent_total",
		Help: "Mails the submission server accepted.",
	}
	deferredOpts = prometheus.CounterOpts{
		Name: "leaguemail_notify_deferred_total",
		Help: "Temporary failures (network error or 4xx reply); the mail is retried with backoff.",
	}
	failedOpts = prometheus.CounterOpts{
		Name: "leaguemail_notify_failed_total",
		Help: "Permanent failures (5xx reply, unrenderable mail, or given up after retrying for days); recorded on the ticket.",
	}
	suppressedOpts = prometheus.CounterOpts{
		Name: "leaguemail_notify_suppressed_total",
		Help: "Mails the last check before sending refused (own domain, mail system address); recorded on the ticket.",
	}
	connectErrorsOpts = prometheus.CounterOpts{
		Name: "leaguemail_notify_connect_errors_total",
		Help: "Failed connections to the submission server (network, TLS, greeting or AUTH).",
	}
	sendSecondsOpts = prometheus.HistogramOpts{
		Name:    "leaguemail_notify_send_seconds",
		Help:    "Time of one SMTP transaction, MAIL FROM to the reply after DATA.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	}
	backlogOpts = prometheus.GaugeOpts{
		Name: "leaguemail_notify_backlog",
		Help: "Mails queued in the outbox, due or waiting for a retry.",
	}
	heldOpts = prometheus.CounterOpts{
		Name: "leaguemail_notify_held_total",
		Help: "Mails held in the outbox because the budget of automatic mail an hour was spent, by kind.",
	}
	lastSuccessOpts = prometheus.GaugeOpts{
		Name: "leaguemail_notify_last_success_timestamp_seconds",
		Help: "Unix time at which the submission server last accepted a mail.",
	}
)

// Metrics holds the sender's metrics.
type Metrics struct {
	sent, deferred, failed, suppressed, held *prometheus.CounterVec
	connectErrors                            prometheus.Counter
	sendSeconds                              prometheus.Histogram
	backlog, lastSuccess                     prometheus.Gauge
}

// NewMetrics makes the sender's metrics and registers them on reg, unless
// reg is nil. Registering twice on the same registry reuses the metrics
// already there instead of panicking.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	l := []string{"kind"}
	m := &Metrics{
		sent:          prometheus.NewCounterVec(sentOpts, l),
		deferred:      prometheus.NewCounterVec(deferredOpts, l),
		failed:        prometheus.NewCounterVec(failedOpts, l),
		suppressed:    prometheus.NewCounterVec(suppressedOpts, l),
		held:          prometheus.NewCounterVec(heldOpts, l),
		connectErrors: prometheus.NewCounter(connectErrorsOpts),
		sendSeconds:   prometheus.NewHistogram(sendSecondsOpts),
		backlog:       prometheus.NewGauge(backlogOpts),
		lastSuccess:   prometheus.NewGauge(lastSuccessOpts),
	}
	if reg == nil {
		return m
	}
	m.sent = metricreg.Register(reg, m.sent)
	m.deferred = metricreg.Register(reg, m.deferred)
	m.failed = metricreg.Register(reg, m.failed)
	m.suppressed = metricreg.Register(reg, m.suppressed)
	m.held = metricreg.Register(reg, m.held)
	m.connectErrors = metricreg.Register(reg, m.connectErrors)
	m.sendSeconds = metricreg.Register(reg, m.sendSeconds)
	m.backlog = metricreg.Register(reg, m.backlog)
	m.lastSuccess = metricreg.Register(reg, m.lastSuccess)
	return m
}
