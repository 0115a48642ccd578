package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/hospital-league/leaguemail/export"
	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/taxii"
)

const taxiiUsage = "taxii keys add NAME --tlp clear|green|amber|amber+strict [--country FR] [--sector health] | taxii keys list [--json] | taxii keys revoke NAME"

// keyName is what a key may be called: it names the consumer in the logs
// and its collection's alias.
var keyName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// runTAXII manages the API keys of the TAXII server.
func runTAXII(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("taxii", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	tlp := fs.String("tlp", "", "the strictest `TLP` the key may see: clear, green, amber or amber+strict (red never leaves over TAXII)")
	country := fs.String("country", "", "see what is above GREEN only of institutions of this `country` (ISO 3166 code, like FR)")
	sector := fs.String("sector", "", "see what is above GREEN only of institutions of this `sector` (as the contacts' sector column, like health)")
	asJSON := fs.Bool("json", false, "print one JSON document")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 || pos[0] != "keys" {
		return fmt.Errorf("%w: %s", errUsage, taxiiUsage)
	}
	switch {
	case pos[1] == "add" && len(pos) == 3:
		return addTAXIIKey(ctx, so, pos[2], *tlp, *country, *sector, stdout)
	case pos[1] == "list" && len(pos) == 2:
		st, err := so.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		ks, err := st.TAXIIKeys(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			if ks == nil {
				ks = []store.TAXIIKey{}
			}
			return writeJSON(stdout, ks)
		}
		printTAXIIKeys(stdout, ks)
		return nil
	case pos[1] == "revoke" && len(pos) == 3:
		st, err := so.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.RevokeTAXIIKey(ctx, pos[2]); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no live key is named %q; see 'leaguemail taxii keys list'", pos[2])
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key %s revoked: it is refused from now on\n", pos[2])
		return nil
	}
	return fmt.Errorf("%w: %s", errUsage, taxiiUsage)
}

func addTAXIIKey(ctx context.Context, so storeOptions, name, tlp, country, sector string, stdout io.Writer) error {
	if !keyName.MatchString(name) || strings.EqualFold(name, taxii.PublicAlias) {
		return fmt.Errorf("%w: key name %q: want up to 64 letters, digits, dots, dashes or underscores (not %q), like cert-fr", errUsage, name, taxii.PublicAlias)
	}
	if tlp == "" {
		return fmt.Errorf("%w: --tlp is missing: the strictest TLP the key may see (clear, green, amber or amber+strict)", errUsage)
	}
	l, err := export.ParseTLP(tlp)
	if err != nil {
		return fmt.Errorf("%w: --tlp: %v", errUsage, err)
	}
	if l == export.Red {
		return fmt.Errorf("%w: --tlp red: TLP:RED is for named recipients only and is never published over TAXII", errUsage)
	}
	country = strings.ToUpper(strings.TrimSpace(country))
	if country != "" && !isCountryCode(country) {
		return fmt.Errorf("%w: --country %q is not a two-letter ISO 3166 code (like FR)", errUsage, country)
	}
	sector = strings.ToLower(strings.Join(strings.Fields(sector), " "))
	cfg, err := so.load()
	if err != nil {
		return err
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	key, hash, err := taxii.NewKey()
	if err != nil {
		return err
	}
	k := store.TAXIIKey{Name: name, TLP: l.String(), Country: country, Sector: sector}
	if _, err := st.AddTAXIIKey(ctx, k, hash); errors.Is(err, store.ErrKeyName) {
		return fmt.Errorf("a live key is named %s already; revoke it first ('leaguemail taxii keys revoke %s') or choose another name", name, name)
	} else if err != nil {
		return err
	}
	base := "https://HOST"
	if cfg.HTTP.PublicURL != "" {
		base = strings.TrimSuffix(cfg.HTTP.PublicURL, "/")
	}
	fmt.Fprintf(stdout, "key %s: up to TLP:%s%s\n", name, strings.ToUpper(k.TLP), scopeSuffix(k))
	fmt.Fprintf(stdout, "API key (shown only now; the store keeps its hash): %s\n", key)
	fmt.Fprintf(stdout, "discovery:  %s%s\n", base, taxii.DiscoveryPath)
	fmt.Fprintf(stdout, "API root:   %s%s\n", base, taxii.RootPath)
	fmt.Fprintf(stdout, "collection: %s (alias %s); public: %s\n", taxii.KeyCollectionID(cfg.League.Name, name), name,
		taxii.PublicCollectionID(cfg.League.Name))
	return nil
}

func scopeSuffix(k store.TAXIIKey) string {
	var parts []string
	if k.Country != "" {
		parts = append(parts, "country "+k.Country)
	}
	if k.Sector != "" {
		parts = append(parts, "sector "+k.Sector)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (above GREEN: " + strings.Join(parts, ", ") + ")"
}

func printTAXIIKeys(w io.Writer, ks []store.TAXIIKey) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTLP\tCOUNTRY\tSECTOR\tCREATED\tREVOKED")
	for _, k := range ks {
		revoked := "-"
		if !k.RevokedAt.IsZero() {
			revoked = k.RevokedAt.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.Name, k.TLP, dashIfEmpty(k.Country), dashIfEmpty(k.Sector),
			k.CreatedAt.UTC().Format("2006-01-02 15:04"), revoked)
	}
	tw.Flush()
	if len(ks) == 0 {
		fmt.Fprintln(w, "(no keys; add one with 'leaguemail taxii keys add NAME --tlp green')")
	}
}

// taxiiSource is the store as the TAXII server reads it.
type taxiiSource struct{ *store.Store }

func (s taxiiSource) Tickets(ctx context.Context) ([]taxii.Ticket, error) {
	fts, err := s.FeedTickets(ctx)
	if err != nil {
		return nil, err
	}
	ts := exportTickets(fts)
	out := make([]taxii.Ticket, len(ts))
	for i := range ts {
		out[i] = taxii.Ticket{Ticket: ts[i], Country: fts[i].Country, Sector: fts[i].Sector}
	}
	return out, nil
}
