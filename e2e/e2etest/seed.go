package e2etest

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

// Rand returns the random source of a fault scenario: seeded from
// LEAGUEMAIL_SEED when set, so that a failed run can be replayed, else
// from the clock. The seed is logged either way.
func Rand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("LEAGUEMAIL_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("LEAGUEMAIL_SEED=%q: want a whole number", s)
		}
		seed = n
	}
	t.Logf("seed %d (replay with LEAGUEMAIL_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// Between returns a duration in [lo, hi) drawn from r.
func Between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}
