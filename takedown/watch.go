package takedown

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/hospital-league/leaguemail/store"
)

// Every requested URL is checked until it is gone (IntelMQ's HTTP status
// expert does the same for feeds): its status, where it ends after
// redirects, and when, each an event on the ticket. The checks go
// through [takedown] check_proxy when set, so that a phishing kit, which
// logs and cloaks its visitors, never sees the league's address.

// Verdicts of one check.
const (
	VerdictUp          = "up"
	VerdictDown        = "down"        // DNS gone, refused, 404, 410, 451
	VerdictMoved       = "moved"       // ends on another registrable domain (a suspension page?)
	VerdictUnreachable = "unreachable" // 502, 503, 504: through a proxy, how a dead name looks
	VerdictUnknown     = "unknown"     // timed out, 500: says nothing
)

// maxCheckRedirects bounds the redirects a check follows.
const maxCheckRedirects = 10

// Checker checks whether a URL is still up.
type Checker struct {
	client *http.Client
}

// NewChecker returns a Checker sending its requests through proxy (an
// http:// or https:// proxy URL; empty: direct), each bounded by timeout.
func NewChecker(proxy string, timeout time.Duration) (*Checker, error) {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	tr := &http.Transport{
		// Never the environment's proxy: whether the checks are
		// anonymous is the config's word alone.
		Proxy:             nil,
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		// A phishing site's certificate is often bad; whether it is up
		// does not depend on it, and nothing secret is sent.
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true},
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	if proxy != "" {
		u, err := url.Parse(proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") || u.Host == "" {
			return nil, fmt.Errorf("check proxy %q: want http://host:port, https://host:port or socks5://host:port", proxy)
		}
		tr.Proxy = http.ProxyURL(u)
	}
	c := &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxCheckRedirects {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	return &Checker{client: c}, nil
}

// Result is what one check found.
type Result struct {
	Status   int
	FinalURL string
	Verdict  string
	Err      string
}

// Check fetches raw once and judges it.
func (c *Checker) Check(ctx context.Context, raw string) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return Result{Verdict: VerdictDown, Err: "not a URL that can be fetched: " + err.Error()}
	}
	// Kits show their page to browsers only.
	req.Header.Set("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	resp, err := c.client.Do(req)
	if err != nil {
		return Result{Verdict: errVerdict(err), Err: cleanErr(err)}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	final := resp.Request.URL.String()
	return Result{Status: resp.StatusCode, FinalURL: final, Verdict: Judge(raw, resp.StatusCode, final)}
}

// Judge gives the verdict of an answer with status, after redirects
// ended at final.
func Judge(orig string, status int, final string) string {
	switch {
	case status == http.StatusNotFound || status == http.StatusGone || status == http.StatusUnavailableForLegalReasons:
		return VerdictDown
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		return VerdictUnreachable
	case status >= 500:
		return VerdictUnknown
	}
	if a, b := hostOf("url", orig), hostOf("url", final); a != "" && b != "" && registrable(a) != registrable(b) {
		return VerdictMoved
	}
	return VerdictUp
}

func errVerdict(err error) string {
	// The proxy itself unreachable says nothing of the site; its refused
	// connection must not read as the site's.
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "proxyconnect" {
		return VerdictUnknown
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return VerdictDown
	case errors.Is(err, syscall.ECONNREFUSED):
		return VerdictDown
	}
	// An https URL through a proxy is a CONNECT: when the proxy cannot
	// reach the site (a name gone, a refused connection) net/http gives
	// the proxy's status text as the error, not a response.
	var ue *url.Error
	if errors.As(err, &ue) {
		switch ue.Err.Error() {
		case "Bad Gateway", "Service Unavailable", "Gateway Timeout":
			return VerdictUnreachable
		}
	}
	return VerdictUnknown
}

// CheckDue checks every watched URL whose check is due.
func (s *Service) CheckDue(ctx context.Context) error {
	if s.cfg.Checker == nil {
		return nil
	}
	ws, err := s.st.DueWatches(ctx, s.cfg.Now(), 50)
	if err != nil {
		return err
	}
	var errs []error
	for _, w := range ws {
		res := s.cfg.Checker.Check(ctx, w.URL)
		if ctx.Err() != nil {
			return nil
		}
		if err := s.record(ctx, w, res); err != nil {
			errs = append(errs, fmt.Errorf("check of %s (ticket %d): %w", defang("url", w.URL), w.Ticket, err))
		}
	}
	return errors.Join(errs...)
}

// record writes one check and what follows from it.
func (s *Service) record(ctx context.Context, w store.Watch, res Result) error {
	now := s.cfg.Now()
	s.cfg.Metrics.checks.WithLabelValues(res.Verdict).Inc()
	defer s.cfg.Queued()
	return s.st.Update(ctx, func(tx *store.Tx) error {
		c := &store.Check{Ticket: w.Ticket, URL: w.URL, At: now, Status: res.Status, FinalURL: res.FinalURL, Verdict: res.Verdict, Error: res.Err}
		if err := tx.AddCheck(ctx, c); err != nil {
			return err
		}
		prev := w.State
		w.Checks++
		switch res.Verdict {
		case VerdictUp:
			w.Redirects = 0
			if prev != "up" {
				w.State, w.DownAt = "up", time.Time{}
			}
		case VerdictDown:
			w.Redirects = 0
			if prev != "down" {
				w.State, w.DownAt = "down", now
			}
		case VerdictMoved, VerdictUnreachable:
			// A suspension page on the hoster's domain, or a name that
			// no longer resolves seen through a proxy: down only when
			// it stays so for two checks in a row.
			w.Redirects++
			if w.Redirects >= 2 && prev != "down" {
				w.State, w.DownAt = "down", now
			}
		}
		changed := w.State != prev
		if changed {
			w.Interval = s.cfg.CheckInterval
		} else {
			w.Interval = min(2*w.Interval, s.cfg.CheckMax)
		}
		w.NextAt = now.Add(w.Interval)
		ended := now.Sub(w.StartedAt) >= s.cfg.WatchFor
		if ended {
			w.NextAt = time.Time{}
			if w.State != "down" {
				w.State = "expired"
			}
		}
		detail := fmt.Sprintf("check of %s: %s", defang("url", w.URL), describe(res))
		if changed && !ended {
			detail += "; now " + w.State
		}
		ev := store.Event{Ticket: w.Ticket, At: now, Actor: "leaguemail", Kind: "takedown-check", Detail: detail,
			Data: jsonOf(map[string]any{"url": w.URL, "status": res.Status, "final_url": res.FinalURL, "verdict": res.Verdict, "error": res.Err})}
		if _, err := tx.AddEvent(ctx, ev); err != nil {
			return err
		}
		if err := tx.UpdateWatch(ctx, w); err != nil {
			return err
		}
		t, err := tx.Ticket(ctx, w.Ticket)
		if err != nil {
			return err
		}
		switch {
		case ended && w.State == "expired":
			if _, err := tx.SetTakedownState(ctx, w.Ticket, w.URL, "", "expired", now); err != nil {
				return err
			}
			msg := fmt.Sprintf("%s was still up after %s of checks; they stopped.", defang("url", w.URL), span(s.cfg.WatchFor))
			if err := s.event(ctx, tx, w.Ticket, "takedown-expired", msg, now); err != nil {
				return err
			}
			return s.tellTriagers(ctx, tx, t, "Takedown: still up: ", msg, now)
		case changed && w.State == "down":
			return s.wentDown(ctx, tx, t, w, now)
		case changed && w.State == "up":
			if _, err := tx.SetTakedownState(ctx, w.Ticket, w.URL, "", "up", now); err != nil {
				return err
			}
			msg := fmt.Sprintf("%s is back up (%s); the checks go on. Another #takedown may be needed.", defang("url", w.URL), describe(res))
			if err := s.event(ctx, tx, w.Ticket, "takedown-back-up", msg, now); err != nil {
				return err
			}
			return s.tellTriagers(ctx, tx, t, "Takedown: back up: ", msg, now)
		}
		return nil
	})
}

// wentDown records a URL found down; when every watched URL of the
// ticket is, the triagers and the reporter are told.
func (s *Service) wentDown(ctx context.Context, tx *store.Tx, t store.Ticket, w store.Watch, now time.Time) error {
	if _, err := tx.SetTakedownState(ctx, t.Number, w.URL, "", "down", now); err != nil {
		return err
	}
	s.cfg.Metrics.toDown.Observe(now.Sub(w.StartedAt).Seconds())
	ws, err := tx.Watches(ctx, t.Number)
	if err != nil {
		return err
	}
	var urls []string
	for _, o := range ws {
		if o.State != "down" {
			return nil // not all of it yet
		}
		urls = append(urls, defang("url", o.URL))
	}
	// The domains requested with the URLs are down with them.
	if _, err := tx.SetTakedownState(ctx, t.Number, "", "", "down", now); err != nil {
		return err
	}
	after := span(now.Sub(t.CreatedAt))
	msg := fmt.Sprintf("The site is down, %s after the report: %s.", after, strings.Join(urls, ", "))
	if err := s.event(ctx, tx, t.Number, "takedown-down", msg, now); err != nil {
		return err
	}
	if err := s.tellTriagers(ctx, tx, t, "Takedown: the site is down: ", msg, now); err != nil {
		return err
	}
	ok, err := tx.ReporterAcked(ctx, t.Number)
	if err != nil || !ok || t.Reporter == "" {
		return err
	}
	d := store.MailData{Subject: t.Subject, TLP: t.TLP, Created: t.CreatedAt, Result: msg}
	m := s.outMail(t.Number, store.KindTakedownNews, t.Reporter, s.subject(t.Number, "Taken down: ", t.Subject), d, now)
	return s.enqueue(ctx, tx, m, "reporter")
}

func (s *Service) event(ctx context.Context, tx *store.Tx, n int64, kind, detail string, now time.Time) error {
	_, err := tx.AddEvent(ctx, store.Event{Ticket: n, At: now, Actor: "leaguemail", Kind: kind, Detail: detail})
	return err
}

func describe(r Result) string {
	var parts []string
	if r.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", r.Status))
	}
	if r.Err != "" {
		parts = append(parts, r.Err)
	}
	if r.FinalURL != "" && r.Verdict == VerdictMoved {
		parts = append(parts, "ends at "+defang("url", r.FinalURL))
	}
	parts = append(parts, r.Verdict)
	return strings.Join(parts, ", ")
}

// span says a duration as a person would: "5 hours", "3 days".
func span(d time.Duration) string {
	switch h := int(d.Hours()); {
	case d < time.Hour:
		m := max(1, int(d.Minutes()))
		return plural(m, "minute")
	case h < 48:
		return plural(h, "hour")
	default:
		return plural(h/24, "day")
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
