package takedown

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/openrdap/rdap/bootstrap"
)

// The RDAP servers of a domain, an address or an AS number are found in
// IANA's bootstrap registries (RFC 9224): dns.json, ipv4.json, ipv6.json
// and asn.json, read from a folder or fetched from an https base (IANA's
// by default) and kept for a day. An embedded copy (bootstrap/) serves
// until the first fetch succeeds and whenever one fails, so that a
// registry down for an hour stops no takedown.
//
//go:embed bootstrap/*.json
var embeddedBootstrap embed.FS

// DefaultBootstrap is IANA's base of the bootstrap files.
const DefaultBootstrap = "https://data.iana.org/rdap/"

// bootstrapTTL is how long fetched files are used before they are fetched
// again.
const bootstrapTTL = 24 * time.Hour

// maxBootstrap bounds one bootstrap file (IANA's asn.json is ~100 KB).
const maxBootstrap = 8 << 20

type registries struct {
	dns        *bootstrap.DNSRegistry
	ipv4, ipv6 *bootstrap.NetRegistry
	asn        *bootstrap.ASNRegistry
}

// Bootstrap finds RDAP base URLs.
type Bootstrap struct {
	source string // a folder, or an http(s) base ending in /
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	regs    *registries
	fetched time.Time
	lastErr error
}

// NewBootstrap reads the bootstrap files from source: a folder, or an
// https base URL (http for loopback hosts only). Empty means IANA's.
func NewBootstrap(source string, client *http.Client, now func() time.Time) (*Bootstrap, error) {
	if source == "" {
		source = DefaultBootstrap
	}
	if client == nil {
		client = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	if strings.Contains(source, "://") {
		u, err := url.Parse(source)
		if err != nil {
			return nil, fmt.Errorf("rdap bootstrap %q: %w", source, err)
		}
		if err := remoteAllowed(u); err != nil {
			return nil, fmt.Errorf("rdap bootstrap %q: %w", source, err)
		}
		if !strings.HasSuffix(source, "/") {
			source += "/"
		}
	} else if st, err := os.Stat(source); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("rdap bootstrap %q: not a folder nor an https URL", source)
	}
	b := &Bootstrap{source: source, client: client, now: now}
	regs, err := parseRegistries(func(name string) ([]byte, error) { return embeddedBootstrap.ReadFile("bootstrap/" + name) })
	if err != nil {
		return nil, fmt.Errorf("embedded rdap bootstrap: %w", err)
	}
	b.regs = regs
	return b, nil
}

// remoteAllowed refuses plain http but to loopback hosts (tests).
func remoteAllowed(u *url.URL) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return errors.New("plain http is accepted for loopback hosts only: use https")
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// load returns the registries, fetching them again when they are older
// than a day. A failed fetch keeps the last good ones and is returned
// for the log only.
func (b *Bootstrap) load(ctx context.Context) (*registries, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.fetched.IsZero() && now.Sub(b.fetched) < bootstrapTTL {
		return b.regs, nil
	}
	if b.lastErr != nil && now.Sub(b.fetched) < time.Hour && !b.fetched.IsZero() {
		return b.regs, b.lastErr
	}
	regs, err := parseRegistries(func(name string) ([]byte, error) { return b.read(ctx, name) })
	b.fetched = now
	if err != nil {
		b.lastErr = fmt.Errorf("rdap bootstrap %s: %w (using the copy held)", b.source, err)
		return b.regs, b.lastErr
	}
	b.regs, b.lastErr = regs, nil
	return regs, nil
}

func (b *Bootstrap) read(ctx context.Context, name string) ([]byte, error) {
	if !strings.Contains(b.source, "://") {
		return os.ReadFile(filepath.Join(b.source, name))
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.source+name, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", name, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBootstrap+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxBootstrap {
		return nil, fmt.Errorf("%s: over %d bytes", name, maxBootstrap)
	}
	return data, nil
}

// parseRegistries reads the four files. A folder may lack some (a test
// that serves only domains): a missing file leaves that registry empty.
func parseRegistries(read func(name string) ([]byte, error)) (*registries, error) {
	r := &registries{}
	get := func(name string) ([]byte, bool, error) {
		data, err := read(name)
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		return data, true, nil
	}
	var errs []error
	if data, ok, err := get("dns.json"); err != nil {
		errs = append(errs, err)
	} else if ok {
		if r.dns, err = bootstrap.NewDNSRegistry(data); err != nil {
			errs = append(errs, fmt.Errorf("dns.json: %w", err))
		}
	}
	for _, v := range []int{4, 6} {
		name := fmt.Sprintf("ipv%d.json", v)
		data, ok, err := get(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		reg, err := bootstrap.NewNetRegistry(data, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if v == 4 {
			r.ipv4 = reg
		} else {
			r.ipv6 = reg
		}
	}
	if data, ok, err := get("asn.json"); err != nil {
		errs = append(errs, err)
	} else if ok {
		if r.asn, err = bootstrap.NewASNRegistry(data); err != nil {
			errs = append(errs, fmt.Errorf("asn.json: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if r.dns == nil && r.ipv4 == nil && r.ipv6 == nil && r.asn == nil {
		return nil, errors.New("none of dns.json, ipv4.json, ipv6.json, asn.json is there")
	}
	return r, nil
}

// errNoServer says that no RDAP server is known for what was looked up.
var errNoServer = errors.New("no RDAP server is known for it in the IANA bootstrap files")

// failing returns why the last fetch of the bootstrap files failed, nil
// if it did not: an answer found in the copy held then may be stale, and
// "no server" is worth asking again.
func (b *Bootstrap) failing() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastErr
}

// DomainServers returns the RDAP base URLs for domain.
func (b *Bootstrap) DomainServers(ctx context.Context, domain string) ([]*url.URL, error) {
	regs, _ := b.load(ctx)
	if regs.dns == nil {
		return nil, errNoServer
	}
	a, err := regs.dns.Lookup(&bootstrap.Question{Query: domain})
	if err != nil {
		return nil, err
	}
	return usable(a)
}

// IPServers returns the RDAP base URLs for ip.
func (b *Bootstrap) IPServers(ctx context.Context, ip net.IP) ([]*url.URL, error) {
	regs, _ := b.load(ctx)
	reg := regs.ipv6
	if ip.To4() != nil {
		reg, ip = regs.ipv4, ip.To4()
	}
	if reg == nil {
		return nil, errNoServer
	}
	a, err := reg.Lookup(&bootstrap.Question{Query: ip.String()})
	if err != nil {
		return nil, err
	}
	return usable(a)
}

// usable keeps the https URLs of an answer (RFC 9224 section 3: a client
// should prefer them), and http ones to loopback servers (tests). The
// bootstrap files list http mirrors beside https: taking one would send
// the league's queries in clear.
func usable(a *bootstrap.Answer) ([]*url.URL, error) {
	if a == nil || len(a.URLs) == 0 {
		return nil, errNoServer
	}
	var out []*url.URL
	for _, u := range a.URLs {
		if remoteAllowed(u) == nil {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the bootstrap files list only plain http servers for it (%s)", a.URLs[0])
	}
	return out, nil
}
