package takedown

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// An RDAP server that times out, answers 429 or garbage, or redirects in
// a loop: the look-up is retried with backoff, the triager is told each
// time something changes, and nothing is dropped.
func TestRDAPFaultsRetried(t *testing.T) {
	loop := func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path, http.StatusFound) }
	cases := []struct {
		name  string
		fault http.HandlerFunc
		want  string
	}{
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "timed out"},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "slow down", http.StatusTooManyRequests)
		}, "429 Too Many Requests"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/rdap+json")
			w.Write([]byte("<html><body>Service temporarily unavailable</body></html>"))
		}, "not a JSON object"},
		{"cut JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"objectClassName": "domain", "entities": [{"roles": ["registrar"`))
		}, "not RDAP JSON"},
		{"redirect loop", loop, "redirects"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, func(cfg *Config) {
				cfg.RDAP = NewRDAP(&http.Client{Timeout: 300 * time.Millisecond})
				cfg.Resolve = false
			})
			f.rdap.fault("/domain/evil.example", c.fault)
			f.report()
			f.triager("#verify", "#takedown")
			f.tick()
			if got := f.outbox(store.KindTakedown); len(got) != 0 {
				t.Fatalf("a request was queued though the registry failed: %+v", got)
			}
			conf := f.to(store.KindCommandConfirm, alex)
			res := data(t, conf[len(conf)-1]).Result
			if !strings.Contains(res, "Look-ups that failed and are retried") || !strings.Contains(res, c.want) || !strings.Contains(res, "tried again from") {
				t.Fatalf("the triager was not told of the failure (%q):\n%s", c.want, res)
			}
			jobs, err := f.st.DueTakedownJobs(f.ctx, f.clock().Add(7*time.Hour), 10)
			if err != nil || len(jobs) != 1 || len(jobs[0].Values) != 2 || jobs[0].Attempts != 1 {
				t.Fatalf("the job is not kept for a retry: %+v %v", jobs, err)
			}
			if c.name == "429" && !jobs[0].NextAt.After(f.clock().Add(59*time.Minute)) {
				t.Errorf("Retry-After: 3600 not honoured: next attempt at %v", jobs[0].NextAt)
			}
			// Not before the backoff.
			f.advance(time.Minute)
			f.tick()
			if len(f.to(store.KindCommandConfirm, alex)) != len(conf) {
				t.Fatal("retried at once")
			}
			// The registry is back: the retry queues the requests and
			// says so.
			f.rdap.fault("/domain/evil.example", nil)
			f.advance(2 * time.Hour)
			f.tick()
			if got := f.to(store.KindTakedown, registrarAbuse); len(got) != 1 {
				t.Fatalf("the retry queued %d requests to the registrar", len(got))
			}
			conf2 := f.to(store.KindCommandConfirm, alex)
			if len(conf2) != len(conf)+1 || !strings.Contains(conf2[len(conf2)-1].Subject, "retried") {
				t.Fatalf("the triager was not told of the retry's outcome: %+v", conf2)
			}
			if jobs, _ := f.st.DueTakedownJobs(f.ctx, f.clock().Add(48*time.Hour), 10); len(jobs) != 0 {
				t.Errorf("the job is still pending: %+v", jobs)
			}
		})
	}
}

// A job whose registry never comes back is given up after its attempts,
// and the triager is told.
func TestRDAPGivenUp(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.Resolve = false })
	f.rdap.fault("/domain/evil.example", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	f.report()
	f.triager("#verify", "#takedown")
	for i := 0; i < maxAttempts; i++ {
		f.tick()
		f.advance(7 * time.Hour)
	}
	conf := f.to(store.KindCommandConfirm, alex)
	last := data(t, conf[len(conf)-1]).Result
	if !strings.Contains(last, "given up after 12 attempts") {
		t.Fatalf("last confirmation:\n%s", last)
	}
	if len(conf) != 3 { // the command's, the first run's, the last one's
		t.Errorf("%d confirmations for one failing job: the triager is spammed", len(conf))
	}
	if jobs, _ := f.st.DueTakedownJobs(f.ctx, f.clock().Add(48*time.Hour), 10); len(jobs) != 0 {
		t.Errorf("the job is still pending: %+v", jobs)
	}
}

// A 404 (no such domain at the registry) and an answer without an abuse
// entity are final: said, not retried.
func TestRDAPFinalFailures(t *testing.T) {
	f := newFixture(t, func(cfg *Config) { cfg.Resolve = false })
	f.rdap.fault("/domain/evil.example", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rdap+json")
		w.Write([]byte(`{"objectClassName": "domain", "ldhName": "evil.example", "rdapConformance": ["rdap_level_0"],
		  "entities": [{"objectClassName": "entity", "roles": ["registrar"], "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Quiet Registrar"]]]}]}`))
	})
	f.report()
	f.triager("#verify", "#takedown")
	f.tick()
	conf := f.to(store.KindCommandConfirm, alex)
	res := data(t, conf[len(conf)-1]).Result
	if !strings.Contains(res, "Could not be resolved") || !strings.Contains(res, "names no abuse contact") {
		t.Fatalf("confirmation:\n%s", res)
	}
	if jobs, _ := f.st.DueTakedownJobs(f.ctx, f.clock().Add(48*time.Hour), 10); len(jobs) != 0 {
		t.Errorf("a final failure is retried: %+v", jobs)
	}
}

// A forced job whose hoster look-up failed asks the registrar once: the
// retry asks only what failed.
func TestForcedRetryAsksOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.report()
	f.triager("#verify")
	f.rdap.fault("/ip/"+phishIP, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	f.triager("#takedown! hxxp://vpn-renew[.]evil[.]example/login")
	f.tick()
	if got := f.to(store.KindTakedown, registrarAbuse); len(got) != 1 {
		t.Fatalf("registrar: %d requests", len(got))
	}
	f.rdap.fault("/ip/"+phishIP, nil)
	f.advance(time.Hour)
	f.tick()
	if got := f.to(store.KindTakedown, hosterAbuse); len(got) != 1 {
		t.Fatalf("the retry did not ask the hoster: %d", len(got))
	}
	if got := f.to(store.KindTakedown, registrarAbuse); len(got) != 1 {
		t.Errorf("the retry asked the registrar again: %d requests", len(got))
	}
}
