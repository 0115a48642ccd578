package sla

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/store"
)

// Collector exports the targets' metrics, read from the store at each
// scrape (so that they survive a restart and count each ticket once):
// time to first response and to close by severity, as histograms, and
// the tickets overdue now.
type Collector struct {
	st       *store.Store
	targets  Targets
	now      func() time.Time
	response *prometheus.Desc
	close    *prometheus.Desc
	overdue  *prometheus.Desc
}

// NewCollector returns the collector of st's tickets against targets.
func NewCollector(st *store.Store, targets Targets, now func() time.Time) *Collector {
	if now == nil {
		now = time.Now
	}
	return &Collector{st: st, targets: targets, now: now,
		response: prometheus.NewDesc("leaguemail_sla_first_response_seconds",
			"Time from a ticket's opening to the first triager command on it, by severity.", []string{"severity"}, nil),
		close: prometheus.NewDesc("leaguemail_sla_close_seconds",
			"Time from a ticket's opening to its closing, by severity.", []string{"severity"}, nil),
		overdue: prometheus.NewDesc("leaguemail_sla_overdue_tickets",
			"Open tickets, not waiting, past their response or resolve target, by severity.", []string{"severity"}, nil),
	}
}

// buckets go from a minute to two weeks: the targets' range.
var buckets = []float64{60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.response
	ch <- c.close
	ch <- c.overdue
}

type hist struct {
	count  uint64
	sum    float64
	counts map[float64]uint64
}

func (h *hist) observe(v float64) {
	if h.counts == nil {
		h.counts = map[float64]uint64{}
	}
	h.count++
	h.sum += v
	for _, b := range buckets {
		if v <= b {
			h.counts[b]++
		}
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ts, err := c.st.SLATickets(ctx, false)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.overdue, err)
		return
	}
	now := c.now()
	resp, closed := map[string]*hist{}, map[string]*hist{}
	overdue := map[string]float64{}
	for _, s := range Severities {
		resp[s], closed[s], overdue[s] = &hist{}, &hist{}, 0
	}
	for _, t := range ts {
		sev, _ := c.targets.For(t.Severity)
		if !t.FirstResponse.IsZero() {
			resp[sev].observe(t.FirstResponse.Sub(t.CreatedAt).Seconds())
		}
		if !t.State.Open() && !t.ClosedAt.IsZero() {
			closed[sev].observe(t.ClosedAt.Sub(t.CreatedAt).Seconds())
		}
		if c.targets.Clock(t, now).Overdue {
			overdue[sev]++
		}
	}
	for _, s := range Severities {
		ch <- prometheus.MustNewConstHistogram(c.response, resp[s].count, resp[s].sum, resp[s].counts, s)
		ch <- prometheus.MustNewConstHistogram(c.close, closed[s].count, closed[s].sum, closed[s].counts, s)
		ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, overdue[s], s)
	}
}
