package taxii

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/internal/metricreg"
	"github.com/hospital-league/leaguemail/store"
)

var (
	requestsOpts = prometheus.CounterOpts{
		Name: "leaguemail_taxii_requests_total",
		Help: "TAXII requests answered, by HTTP status.",
	}
	objectsOpts = prometheus.CounterOpts{
		Name: "leaguemail_taxii_objects_served_total",
		Help: "STIX objects (or manifest entries) served over TAXII.",
	}
	limitedOpts = prometheus.CounterOpts{
		Name: "leaguemail_taxii_rate_limited_total",
		Help: "TAXII requests refused with 429 because their key (or address, without a key) went over its rate.",
	}
)

// Source is what the server reads from the store.
type Source interface {
	KeyStore
	// Tickets returns every ticket with its indicators (as
	// store.FeedTickets), with the reporting institution's country and
	// sector.
	Tickets(ctx context.Context) ([]Ticket, error)
	// TAXIIKeys lists the keys, live and revoked.
	TAXIIKeys(ctx context.Context) ([]store.TAXIIKey, error)
	// DateAdded is store.Store.DateAdded.
	DateAdded(ctx context.Context, collection string, vs []store.ObjectVersion) (map[store.ObjectVersion]time.Time, error)
}

// Config is the server's configuration.
type Config struct {
	// League names the league; it seeds every id, as in the export.
	League string
	// Contact is the league's address, given in the discovery resource.
	Contact string
	// Public lets requests without a key read the public collection.
	Public bool
	// PublicURL is where the server is reached from outside
	// ("https://feeds.league.example"); the request's host if empty.
	PublicURL string
	// RatePerSecond and Burst are each key's token bucket (and each
	// address's, for requests without a key): 2 per second with bursts of
	// 60 when zero.
	RatePerSecond float64
	Burst         int
	// RequireTLS refuses keys sent over plain HTTP: set when the listener
	// is not on loopback and serves no TLS itself.
	RequireTLS bool
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Now is the clock of the rate limits; time.Now if nil.
	Now func() time.Time
}

// Server is the TAXII 2.1 server. Mount it at DiscoveryPath on the
// listener ("/taxii2/").
type Server struct {
	cfg      Config
	src      Source
	mux      *http.ServeMux
	lim      *limiters
	requests *prometheus.CounterVec
	served   prometheus.Counter
	limited  prometheus.Counter
	cache    viewCache
}

// New makes a server over src.
func New(src Source, cfg Config) *Server {
	if cfg.RatePerSecond <= 0 {
		cfg.RatePerSecond = 2
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 60
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.League == "" {
		cfg.League = "Hospital League"
	}
	s := &Server{cfg: cfg, src: src, mux: http.NewServeMux(), lim: newLimiters(cfg.RatePerSecond, cfg.Burst),
		requests: metricreg.Register(cfg.Registerer, prometheus.NewCounterVec(requestsOpts, []string{"code"})),
		served:   metricreg.Register(cfg.Registerer, prometheus.NewCounter(objectsOpts)),
		limited:  metricreg.Register(cfg.Registerer, prometheus.NewCounter(limitedOpts)),
	}
	for pattern, h := range map[string]func(http.ResponseWriter, *http.Request, *store.TAXIIKey){
		DiscoveryPath + "{$}":                                    s.discovery,
		RootPath + "{$}":                                         s.apiRoot,
		RootPath + "collections/{$}":                             s.collections,
		RootPath + "collections/{id}/{$}":                        s.collection,
		RootPath + "collections/{id}/objects/{$}":                s.objects,
		RootPath + "collections/{id}/objects/{oid}/{$}":          s.objects,
		RootPath + "collections/{id}/objects/{oid}/versions/{$}": s.versionsOf,
		RootPath + "collections/{id}/manifest/{$}":               s.manifestOf,
	} {
		s.mux.HandleFunc("GET "+pattern, func(w http.ResponseWriter, r *http.Request) { h(w, r, keyOf(r)) })
	}
	return s
}

type ctxKey struct{}

// reqInfo is what the request log says of a request, filled in as it is
// answered.
type reqInfo struct {
	key    *store.TAXIIKey
	served int
}

func keyOf(r *http.Request) *store.TAXIIKey {
	if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
		return ri.key
	}
	return nil
}

func setServed(r *http.Request, n int) {
	if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
		ri.served = n
	}
}

// statusWriter remembers the status of the answer, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP authenticates the request, applies its rate limit, checks
// that it accepts TAXII 2.1, answers it, and logs it with the key's name
// (never the key).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri := &reqInfo{}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri))
	defer func() {
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		s.requests.WithLabelValues(strconv.Itoa(status)).Inc()
		s.served.Add(float64(ri.served))
		name := "-"
		if ri.key != nil {
			name = ri.key.Name
		}
		s.cfg.Logger.Info("taxii request", "key", name, "method", r.Method, "path", redact(r.URL.Path),
			"query", redact(r.URL.RawQuery), "status", status, "objects", ri.served,
			"remote", remoteHost(r), "duration", time.Since(start).Round(time.Microsecond))
	}()
	s.serve(sw, r, ri)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	if _, present := credentials(r.Header.Get("Authorization")); present && s.cfg.RequireTLS && r.TLS == nil {
		writeError(w, http.StatusForbidden, "HTTPS required",
			"API keys are refused over plain HTTP; use the https address (the key sent now should be replaced)")
		return
	}
	k, err := authenticate(r.Context(), s.src, r)
	who := "addr " + remoteHost(r)
	switch {
	case errors.Is(err, errBadKey):
		// Failed keys share their address's bucket, which slows guessing.
		if s.rateLimited(w, who) {
			return
		}
		s.unauthorized(w, "the API key is unknown or was revoked")
		return
	case err != nil:
		s.internal(w, r, err)
		return
	case k != nil:
		ri.key = k
		who = "key " + k.Name
	}
	if s.rateLimited(w, who) {
		return
	}
	if !acceptable(r.Header.Get("Accept")) {
		writeError(w, http.StatusNotAcceptable, "Not Acceptable", "this server answers "+MediaTAXII)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "Method Not Allowed", "the collections are read-only")
		return
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		writeError(w, http.StatusNotFound, "Not Found", "no such TAXII resource (paths end with a slash)")
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) rateLimited(w http.ResponseWriter, who string) bool {
	ok, wait := s.lim.allow(who, s.cfg.Now())
	if ok {
		return false
	}
	s.limited.Inc()
	w.Header().Set("Retry-After", strconv.Itoa(retryAfter(wait)))
	writeError(w, http.StatusTooManyRequests, "Too Many Requests", "slow down: try again after the Retry-After seconds")
	return true
}

// unauthorized answers 401 with the schemes we take (RFC 9110 section
// 11.6.1).
func (s *Server) unauthorized(w http.ResponseWriter, why string) {
	w.Header().Add("WWW-Authenticate", `Basic realm="TAXII", charset="UTF-8"`)
	w.Header().Add("WWW-Authenticate", `Bearer realm="TAXII"`)
	writeError(w, http.StatusUnauthorized, "Unauthorized", why+": give your key as the password of HTTP Basic, or as Authorization: Bearer KEY")
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Logger.Error("taxii: cannot answer", "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "Internal Server Error", "the server could not answer; try again later")
}

// keyInText finds what looks like one of our keys.
var keyInText = regexp.MustCompile(keyPrefix + `[A-Za-z0-9_%-]*`)

// redact hides a key that a client put in the URL (some tools offer an
// api_key parameter): the log never holds a key.
func redact(s string) string {
	if !strings.Contains(s, keyPrefix) {
		return s
	}
	return keyInText.ReplaceAllString(s, keyPrefix+"REDACTED")
}

func remoteHost(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}
