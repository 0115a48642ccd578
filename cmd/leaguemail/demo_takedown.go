package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/parser"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/triage"
)

// The demo's takedown step: the outside world a takedown needs, served on
// loopback as a registry and a phishing site would. An RDAP server answers
// for every .example domain with a registrar whose abuse desk has a
// mailbox on the demo's IMAP server; the check proxy serves the phishing
// pages until the desk takes them down.

const (
	demoAbuseDesk = "abuse@registrar-exemple.example"
	demoRegistrar = "Registrar Exemple SAS"
)

type takedownWorld struct {
	rdap, proxy *http.Server
	// tls serves the phishing site's https pages, reached through the
	// proxy's CONNECT tunnels; plain http pages the proxy serves itself.
	tls       *httptest.Server
	rdapURL   string
	proxyURL  string
	bootstrap string

	mu   sync.Mutex
	down bool
}

// startTakedownWorld starts the RDAP server and the check proxy, and
// writes the bootstrap folder under dir.
func startTakedownWorld(dir string) (*takedownWorld, error) {
	w := &takedownWorld{bootstrap: filepath.Join(dir, "rdap-bootstrap")}
	serve := func(h http.Handler) (*http.Server, string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", fmt.Errorf("demo takedown servers: %w", err)
		}
		s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go s.Serve(ln)
		return s, "http://" + ln.Addr().String(), nil
	}
	var err error
	if w.rdap, w.rdapURL, err = serve(http.HandlerFunc(w.serveRDAP)); err != nil {
		return nil, err
	}
	w.tls = httptest.NewTLSServer(http.HandlerFunc(w.serveSite))
	if w.proxy, w.proxyURL, err = serve(http.HandlerFunc(w.serveProxy)); err != nil {
		w.rdap.Close()
		w.tls.Close()
		return nil, err
	}
	b, _ := json.Marshal(map[string]any{"version": "1.0", "publication": "2026-12-01T00:00:00Z",
		"services": [][][]string{{{"example"}, {w.rdapURL + "/"}}}})
	if err := os.MkdirAll(w.bootstrap, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(w.bootstrap, "dns.json"), b, 0o644); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *takedownWorld) Close() {
	w.rdap.Close()
	w.proxy.Close()
	w.tls.Close()
}

// serveProxy is the check proxy: plain http requests are answered by the
// site itself; CONNECT (https) is tunnelled to the site's TLS server,
// whatever host was asked.
func (w *takedownWorld) serveProxy(rw http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		w.serveSite(rw, r)
		return
	}
	up, err := net.DialTimeout("tcp", w.tls.Listener.Addr().String(), 5*time.Second)
	if err != nil {
		http.Error(rw, "Bad Gateway", http.StatusBadGateway)
		return
	}
	hj, ok := rw.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(rw, "no tunnel", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	go func() {
		io.Copy(up, conn)
		up.Close()
	}()
	io.Copy(conn, up)
	conn.Close()
}

// configure points [takedown] at the world, checking often: the story
// waits for the site to go down.
func (w *takedownWorld) configure(cfg *config.Config) {
	cfg.Takedown.RDAPBootstrap = w.bootstrap
	cfg.Takedown.CheckProxy = w.proxyURL
	cfg.Takedown.CheckInterval = config.Duration{Duration: time.Second}
	cfg.Takedown.CheckMax = config.Duration{Duration: 2 * time.Second}
}

// serveRDAP answers /domain/NAME (RFC 9082) with an RFC 9083 domain whose
// registrar's abuse entity has the desk's address.
func (w *takedownWorld) serveRDAP(rw http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/domain/")
	if !ok {
		rw.WriteHeader(http.StatusNotFound)
		return
	}
	vcard := func(props ...[]any) []any {
		return []any{"vcard", append([][]any{{"version", map[string]any{}, "text", "4.0"}}, props...)}
	}
	rw.Header().Set("Content-Type", "application/rdap+json")
	json.NewEncoder(rw).Encode(map[string]any{
		"objectClassName": "domain", "rdapConformance": []string{"rdap_level_0", "icann_rdap_response_profile_1"},
		"ldhName": name,
		"entities": []any{map[string]any{
			"objectClassName": "entity", "roles": []string{"registrar"},
			"vcardArray": vcard([]any{"fn", map[string]any{}, "text", demoRegistrar}),
			"entities": []any{map[string]any{"objectClassName": "entity", "roles": []string{"abuse"},
				"vcardArray": vcard([]any{"email", map[string]any{}, "text", demoAbuseDesk})}},
		}},
	})
}

// serveSite serves the phishing page for whatever host it is asked, until
// the desk took the site down.
func (w *takedownWorld) serveSite(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	down := w.down
	w.mu.Unlock()
	if down {
		http.Error(rw, "This site has been suspended by "+demoRegistrar, http.StatusGone)
		return
	}
	fmt.Fprint(rw, `<form><input name="user"><input type="password" name="pass"></form>`)
}

func (w *takedownWorld) takeDown() {
	w.mu.Lock()
	w.down = true
	w.mu.Unlock()
}

// takedownStep plays the triager's #takedown on ticket n, the abuse desk
// receiving it and taking the site down, and the reporter being told.
func (d *demo) takedownStep(ctx context.Context, n int64, notice *parser.Message, reporter string) error {
	if err := d.pause(ctx); err != nil {
		return err
	}
	d.printf("\n6. The triager asks for the takedown of what #%d verified, replying to the notice again:\n    #takedown\n", n)
	reply := triagerReply(notice, time.Now(), "#takedown", "", "Alex")
	if err := submit(d.srv.SMTPAddr, demoTriager, []string{notice.ReplyTo}, reply); err != nil {
		return err
	}
	id := parser.Parse(reply, parser.Options{}).MessageID
	if err := d.await(ctx, fmt.Sprintf("the gateway did not put the #takedown on ticket #%d", n), func() bool {
		return d.ticketOf(id, triage.DispAppended) == n
	}); err != nil {
		return err
	}
	d.printf("  the registrar's abuse desk is looked up in RDAP (%s, named by the bootstrap folder)\n", d.world.rdapURL)
	if err := d.await(ctx, fmt.Sprintf("no takedown request of ticket #%d reached %s", n, demoAbuseDesk),
		d.sent(store.KindTakedown, demoAbuseDesk, n)); err != nil {
		return err
	}
	if err := d.pause(ctx); err != nil {
		return err
	}
	d.printf("\n7. %s suspends the site; the next check through the check proxy (%s) finds it gone\n", demoRegistrar, d.world.proxyURL)
	d.world.takeDown()
	if err := d.await(ctx, fmt.Sprintf("the reporter of #%d was not told the site is down", n),
		d.sent(store.KindTakedownNews, reporter, n)); err != nil {
		return err
	}
	rs, err := d.st.TakedownRequests(ctx, n, false)
	if err != nil {
		return err
	}
	down := 0
	for _, r := range rs {
		if r.State == "down" {
			down++
		}
	}
	d.printf("ticket #%d: %d takedown %s to %s, %d down\n", n, len(rs), countNoun(len(rs), "request", "requests"), demoAbuseDesk, down)
	return nil
}
