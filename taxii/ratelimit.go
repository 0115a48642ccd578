package taxii

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds a token bucket per consumer: a key's name, or the
// client's address for requests without a (good) key.
type limiters struct {
	every rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*limiter
}

type limiter struct {
	*rate.Limiter
	used time.Time
}

// maxLimiters bounds the buckets kept for anonymous clients: past it,
// those idle for a while are dropped (a full bucket is what a new one
// starts with, so nothing is lost by it).
const maxLimiters = 10000

func newLimiters(perSecond float64, burst int) *limiters {
	return &limiters{every: rate.Limit(perSecond), burst: burst, m: make(map[string]*limiter)}
}

// allow takes a token from who's bucket, or says how long to wait.
func (l *limiters) allow(who string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[who]
	if b == nil {
		if len(l.m) >= maxLimiters {
			for k, v := range l.m {
				if now.Sub(v.used) > time.Minute {
					delete(l.m, k)
				}
			}
		}
		b = &limiter{Limiter: rate.NewLimiter(l.every, l.burst)}
		l.m[who] = b
	}
	b.used = now
	res := b.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Minute
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// retryAfter is a Retry-After value (RFC 9110 section 10.2.3): whole
// seconds, at least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
