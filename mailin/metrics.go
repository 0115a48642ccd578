package mailin

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/internal/metricreg"
)

// The intake's metrics, each labelled with the mailbox's name (Account.Name).
var (
	takenOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_taken_total",
		Help: "Messages the store committed, from this mailbox.",
	}
	rejectedOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_rejected_total",
		Help: "Messages the store refused for good, moved to the Failed folder.",
	}
	takeErrorsOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_take_errors_total",
		Help: "Temporary store errors; the message stays in the mailbox and is retried.",
	}
	bodylessOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_bodyless_total",
		Help: "Messages the server answered without a body even when fetched alone; left in the mailbox and fetched again at the next session.",
	}
	poisonedOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_poisoned_total",
		Help: "Messages in hand at 3 crashes of the gateway in a row: stored unparsed with a ticket and moved to the failed folder.",
	}
	movedOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_moved_total",
		Help: "Messages moved out of the mailbox (to the processed or failed folder).",
	}
	moveFailuresOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_move_failures_total",
		Help: "Messages the server refused to move out of the mailbox (quota, permissions); they stay in it and the move is retried each poll interval.",
	}
	unmovedOpts = prometheus.GaugeOpts{
		Name: "leaguemail_mailin_unmoved",
		Help: "Messages taken in (or rejected) but still in the mailbox because the server refused to move them, at the last try.",
	}
	fetchedBytesOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_fetched_bytes_total",
		Help: "Bytes of message fetched from the server.",
	}
	connectsOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_connects_total",
		Help: "Connections made and logged in.",
	}
	errorsOpts = prometheus.CounterOpts{
		Name: "leaguemail_mailin_errors_total",
		Help: "Sessions ended by an error (network, server or store), each followed by a reconnect.",
	}
	connectedOpts = prometheus.GaugeOpts{
		Name: "leaguemail_mailin_connected",
		Help: "1 while a session is logged in with the mailbox selected, else 0.",
	}
	lastSuccessOpts = prometheus.GaugeOpts{
		Name: "leaguemail_mailin_last_success_timestamp_seconds",
		Help: "Unix time at which the mailbox was last found fully taken in.",
	}
	takeSecondsOpts = prometheus.HistogramOpts{
		Name:    "leaguemail_mailin_take_seconds",
		Help:    "Time the store took to commit one message.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}
)

// Metrics holds the intake's metrics. One Metrics serves any number of
// mailboxes; give the same one to every Config.
type Metrics struct {
	taken, rejected, takeErrors, bodyless, poisoned, moved, moveFailures, fetchedBytes, connects, errors *prometheus.CounterVec
	connected, lastSuccess, unmoved                                                                      *prometheus.GaugeVec
	takeSeconds                                                                                          *prometheus.HistogramVec
}

// NewMetrics makes the intake's metrics and registers them on reg, unless reg
// is nil. Registering twice on the same registry reuses the metrics already
// there instead of panicking.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	l := []string{"mailbox"}
	m := &Metrics{
		taken:        prometheus.NewCounterVec(takenOpts, l),
		rejected:     prometheus.NewCounterVec(rejectedOpts, l),
		takeErrors:   prometheus.NewCounterVec(takeErrorsOpts, l),
		bodyless:     prometheus.NewCounterVec(bodylessOpts, l),
		poisoned:     prometheus.NewCounterVec(poisonedOpts, l),
		moved:        prometheus.NewCounterVec(movedOpts, l),
		moveFailures: prometheus.NewCounterVec(moveFailuresOpts, l),
		unmoved:      prometheus.NewGaugeVec(unmovedOpts, l),
		fetchedBytes: prometheus.NewCounterVec(fetchedBytesOpts, l),
		connects:     prometheus.NewCounterVec(connectsOpts, l),
		errors:       prometheus.NewCounterVec(errorsOpts, l),
		connected:    prometheus.NewGaugeVec(connectedOpts, l),
		lastSuccess:  prometheus.NewGaugeVec(lastSuccessOpts, l),
		takeSeconds:  prometheus.NewHistogramVec(takeSecondsOpts, l),
	}
	if reg == nil {
		return m
	}
	m.taken = metricreg.Register(reg, m.taken)
	m.rejected = metricreg.Register(reg, m.rejected)
	m.takeErrors = metricreg.Register(reg, m.takeErrors)
	m.bodyless = metricreg.Register(reg, m.bodyless)
	m.poisoned = metricreg.Register(reg, m.poisoned)
	m.moved = metricreg.Register(reg, m.moved)
	m.moveFailures = metricreg.Register(reg, m.moveFailures)
	m.unmoved = metricreg.Register(reg, m.unmoved)
	m.fetchedBytes = metricreg.Register(reg, m.fetchedBytes)
	m.connects = metricreg.Register(reg, m.connects)
	m.errors = metricreg.Register(reg, m.errors)
	m.connected = metricreg.Register(reg, m.connected)
	m.lastSuccess = metricreg.Register(reg, m.lastSuccess)
	m.takeSeconds = metricreg.Register(reg, m.takeSeconds)
	return m
}

// mailboxMetrics are the metrics of one mailbox.
type mailboxMetrics struct {
	taken, rejected, takeErrors, bodyless, poisoned, moved, moveFailures, fetchedBytes, connects, errors prometheus.Counter
	connected, lastSuccess, unmoved                                                                      prometheus.Gauge
	takeSeconds                                                                                          prometheus.Observer
}

func (m *Metrics) forMailbox(name string) *mailboxMetrics {
	if m == nil {
		m = NewMetrics(nil)
	}
	return &mailboxMetrics{
		taken:        m.taken.WithLabelValues(name),
		rejected:     m.rejected.WithLabelValues(name),
		takeErrors:   m.takeErrors.WithLabelValues(name),
		bodyless:     m.bodyless.WithLabelValues(name),
		poisoned:     m.poisoned.WithLabelValues(name),
		moved:        m.moved.WithLabelValues(name),
		moveFailures: m.moveFailures.WithLabelValues(name),
		unmoved:      m.unmoved.WithLabelValues(name),
		fetchedBytes: m.fetchedBytes.WithLabelValues(name),
		connects:     m.connects.WithLabelValues(name),
		errors:       m.errors.WithLabelValues(name),
		connected:    m.connected.WithLabelValues(name),
		lastSuccess:  m.lastSuccess.WithLabelValues(name),
		takeSeconds:  m.takeSeconds.WithLabelValues(name),
	}
}
