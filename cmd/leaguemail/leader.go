package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/store"
)

// Several `serve` processes may share one store (PostgreSQL across
// machines; SQLite on one machine). One of them leads: it alone runs the
// IMAP intake and the timers that write (takedown checks, SLA reminders
// and digests). Every process sends from the shared outbox and writes the
// feeds it serves (they only read the store).
//
// The leader holds the lease "leader" for ttl (two thirds of [store]
// failover), renews it every ttl/3, and stops its parts at once when a
// renewal fails to come back before its own deadline; each of their write
// transactions is fenced by the lease (store.WithFence), so that even a
// leader that does not know yet commits nothing after a takeover. A
// standby asks every failover/10: it takes over within failover of the
// leader's last renewal.

const leaderLease = "leader"

// leadership is a gateway's part in the election.
type leadership struct {
	st       *store.Store
	holder   string
	ttl      time.Duration
	poll     time.Duration
	log      func(msg string, args ...any)
	isLeader prometheus.Gauge
	changes  prometheus.Counter

	mu      sync.Mutex
	role    string
	current store.Lease
}

func newLeadership(st *store.Store, failover time.Duration, reg prometheus.Registerer, log func(string, ...any)) *leadership {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	l := &leadership{
		st: st, holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b)),
		ttl: failover * 2 / 3, poll: failover / 10, log: log, role: "standby",
		isLeader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "leaguemail_leader",
			Help: "1 while this gateway leads (runs the IMAP intake and the timers), 0 while it stands by.",
		}),
		changes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "leaguemail_leader_changes_total",
			Help: "Times this gateway became leader or stopped leading.",
		}),
	}
	reg.MustRegister(l.isLeader, l.changes)
	return l
}

// Role returns "leader" or "standby", and the lease as this gateway last
// saw it.
func (l *leadership) Role() (string, store.Lease) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.role, l.current
}

func (l *leadership) set(role string, lease store.Lease) {
	l.mu.Lock()
	changed := l.role != role
	l.role, l.current = role, lease
	l.mu.Unlock()
	if changed {
		l.changes.Inc()
		if role == "leader" {
			l.isLeader.Set(1)
		} else {
			l.isLeader.Set(0)
		}
	}
}

// run takes part in the election until ctx ends: while this gateway
// leads, lead runs with a context that ends when the lease is lost (and
// fences every write made under it). run returns once lead has returned.
func (l *leadership) run(ctx context.Context, lead func(ctx context.Context)) {
	for ctx.Err() == nil {
		st, err := l.st.AcquireLease(ctx, leaderLease, l.holder, l.ttl)
		if err != nil {
			l.log("lease: cannot reach the store", "error", err)
		} else if st.Held {
			l.lead(ctx, st.Lease, lead)
			continue
		} else if l.st.Dialect() == "sqlite" && l.deadHere(st.Lease) {
			// A gateway that crashed, on this machine as every gateway of a
			// SQLite store is: no need to wait for its lease to run out (a
			// restart after a crash leads at once). On PostgreSQL the lease
			// runs out, as it must for a machine that is gone.
			if t, err := l.st.TakeLeaseFrom(ctx, st.Lease, l.holder, l.ttl); err == nil && t.Held {
				l.log("lease: taken from a gateway of this machine that no longer runs", "was", st.Holder)
				l.lead(ctx, t.Lease, lead)
				continue
			}
		} else {
			l.set("standby", st.Lease)
		}
		select {
		case <-ctx.Done():
		case <-time.After(l.poll):
		}
	}
}

// lead runs lead under lease until the lease is lost or ctx ends, renewing
// it meanwhile; on a stop it gives the lease back.
func (l *leadership) lead(ctx context.Context, lease store.Lease, lead func(ctx context.Context)) {
	l.set("leader", lease)
	l.log("lease: leading", "holder", l.holder, "epoch", lease.Epoch)
	lctx, stop := context.WithCancel(store.WithFence(ctx, lease))
	done := make(chan struct{})
	go func() { defer close(done); lead(lctx) }()
	// deadline is when the lease may have run out, on our own clock: the
	// database's deadline is counted from a later instant than asked.
	deadline := time.Now().Add(l.ttl)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	lost := func(why string, args ...any) {
		stop()
		<-done
		l.set("standby", store.Lease{})
		l.log("lease: stopped leading: "+why, args...)
	}
	for {
		select {
		case <-ctx.Done():
			stop()
			<-done
			if err := l.st.ReleaseLease(context.WithoutCancel(ctx), lease); err != nil {
				l.log("lease: give it back", "error", err)
			}
			l.set("standby", store.Lease{})
			return
		case <-done:
			// lead ended by itself (a part failed for good): let the lease
			// run out for another gateway.
			l.set("standby", store.Lease{})
			return
		case <-t.C:
		}
		asked := time.Now()
		limit := deadline
		if l.st.Dialect() == "sqlite" || limit.Before(asked) {
			limit = asked.Add(l.ttl)
		}
		rctx, cancel := context.WithDeadline(ctx, limit)
		st, err := l.st.AcquireLease(rctx, leaderLease, l.holder, l.ttl)
		cancel()
		switch {
		case ctx.Err() != nil:
			continue // stopping: handled above
		case err != nil && time.Now().After(deadline) && l.st.Dialect() != "sqlite":
			lost("the store did not answer before the lease ran out", "error", err)
			return
		case err != nil:
			l.log("lease: renewal failed; trying again", "error", err)
		case !st.Held || st.Epoch != lease.Epoch:
			lost("another gateway holds the lease", "holder", st.Holder, "epoch", st.Epoch)
			return
		default:
			deadline = asked.Add(l.ttl)
			l.set("leader", st.Lease)
		}
		// On PostgreSQL a leader cut off from the store stops at once: a
		// gateway on another machine may hold the lease by now. A SQLite
		// store is on this machine: one that does not answer (locked by
		// a backup, its disk full) answers no other gateway either, and
		// the fence still refuses every commit should one take over.
		if time.Now().After(deadline) && l.st.Dialect() != "sqlite" {
			lost("the lease ran out before it was renewed")
			return
		}
	}
}

// deadHere says whether lease is held by a process of this machine that
// no longer runs. Holders are named host/pid/random.
func (l *leadership) deadHere(lease store.Lease) bool {
	host, _ := os.Hostname()
	parts := strings.Split(lease.Holder, "/")
	if len(parts) != 3 || parts[0] != host {
		return false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// isLostLease says whether err comes of a fenced write after the lease
// was lost: the leader's parts end, the gateway goes on as a standby.
func isLostLease(err error) bool { return errors.Is(err, store.ErrLostLease) }
