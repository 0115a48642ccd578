package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/internal/pgtest"
	"github.com/hospital-league/leaguemail/store"
)

// TestLeaderFailover: two gateways on one PostgreSQL store; exactly one
// leads; when the leader loses its store (its connection gone, the
// process alive) it stops leading, and the standby takes over within the
// failover time.
func TestLeaderFailover(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.Schema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *store.Store {
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	const failover = 3 * time.Second
	var leading atomic.Int32
	var ends [2]atomic.Int32
	stores := [2]*store.Store{open(), open()}
	defer stores[1].Close()
	ls := [2]*leadership{}
	for i := range ls {
		ls[i] = newLeadership(stores[i], failover, prometheus.NewRegistry(), func(string, ...any) {})
		go ls[i].run(ctx, func(lctx context.Context) {
			if n := leading.Add(1); n > 1 {
				t.Errorf("%d gateways lead at once", n)
			}
			<-lctx.Done()
			leading.Add(-1)
			ends[i].Add(1)
		})
	}
	waitRole := func(i int, want string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < within {
			if r, _ := ls[i].Role(); r == want {
				return time.Since(start)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("gateway %d not %s after %v", i, want, within)
		return 0
	}
	first := -1
	deadline := time.Now().Add(failover)
	for first < 0 && time.Now().Before(deadline) {
		for i := range ls {
			if r, _ := ls[i].Role(); r == "leader" {
				first = i
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if first < 0 {
		t.Fatal("nobody leads")
	}
	other := 1 - first
	if r, l := ls[other].Role(); r != "standby" || l.Holder != ls[first].holder {
		t.Errorf("the other gateway: %s, leader %q", r, l.Holder)
	}
	// The leader's connection is cut while it runs.
	stores[first].Close()
	took := waitRole(other, "leader", 2*failover)
	if took > failover {
		t.Errorf("takeover after %v, want within the failover time %v", took, failover)
	}
	waitRole(first, "standby", failover)
	if ends[first].Load() != 1 {
		t.Errorf("the old leader's parts did not stop")
	}
	if first == 1 {
		stores[0].Close()
	}
}
