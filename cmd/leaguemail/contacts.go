package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/mail"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/hospital-league/leaguemail/sla"
	"github.com/hospital-league/leaguemail/store"
	"golang.org/x/text/language"
)

// runContacts imports contacts from a CSV file or lists them. CERTs are
// where #escalate sends, institutions are matched to reporters by their
// mail domain and receive #alert, triagers may run commands.
func runContacts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("contacts", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON document")
	kind := fs.String("kind", "", "list only contacts of this `kind` (cert, institution, triager)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	const usage = "contacts import FILE.csv | contacts list [--kind K] [--json]"
	switch {
	case len(pos) == 2 && pos[0] == "import":
		return importContacts(ctx, so, pos[1], stdout)
	case len(pos) == 1 && pos[0] == "list":
		if *kind != "" && !slices.Contains(contactKinds, *kind) {
			return fmt.Errorf("%w: --kind %q: want cert, institution, triager, abuse or le", errUsage, *kind)
		}
		st, err := so.open(ctx)
		if err != nil {
			return err
		}
		defer st.Close()
		cs, err := st.Contacts(ctx, *kind)
		if err != nil {
			return err
		}
		if *asJSON {
			if cs == nil {
				cs = []store.Contact{}
			}
			return writeJSON(stdout, cs)
		}
		printContacts(stdout, cs)
		return nil
	}
	return fmt.Errorf("%w: %s", errUsage, usage)
}

var contactKinds = []string{"cert", "institution", "triager", "abuse", "le"}

// contactRow is one contact read from a CSV file, with its line.
type contactRow struct {
	store.Contact
	line int
	// shift is a triager's on-call shift (package sla), "" for none.
	shift string
	// subscribed is the row's subscribed column, yes or no: "" when not
	// given, so that a re-import does not bring back a hospital that left
	// the area alerts by mail.
	subscribed string
	// lang is the contact's language (BCP 47), "" for the league's.
	lang string
}

func importContacts(ctx context.Context, so storeOptions, path string, stdout io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w; give the path of a CSV file with the columns kind, name, email, country, region", err)
	}
	defer f.Close()
	rows, err := readContacts(f, path)
	if err != nil {
		return err
	}
	st, err := so.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var added, updated, same int
	err = st.Update(ctx, func(tx *store.Tx) error {
		added, updated, same = 0, 0, 0
		for _, r := range rows {
			old, err := tx.ContactsByEmail(ctx, r.Email)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(old, func(c store.Contact) bool { return c.Kind == r.Kind })
			switch {
			case i < 0:
				added++
			case old[i].Name == r.Name && old[i].Country == r.Country && old[i].Region == r.Region && old[i].Sector == r.Sector:
				same++
			default:
				updated++
			}
			if _, err := tx.PutContact(ctx, r.Contact); err != nil {
				return fmt.Errorf("%s:%d: %w", path, r.line, err)
			}
			if r.Kind == "triager" {
				if err := tx.SetShift(ctx, r.Email, r.shift); err != nil {
					return fmt.Errorf("%s:%d: %w", path, r.line, err)
				}
			}
			if r.subscribed != "" {
				if err := setSubscribed(ctx, tx, r); err != nil {
					return fmt.Errorf("%s:%d: %w", path, r.line, err)
				}
			}
			if err := tx.SetLang(ctx, r.Email, r.lang); err != nil {
				return fmt.Errorf("%s:%d: %w", path, r.line, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d %s: %d added, %d updated, %d unchanged\n", path, len(rows),
		countNoun(len(rows), "contact", "contacts"), added, updated, same)
	return nil
}

func countNoun(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readContacts reads contacts from CSV: the columns kind, name, email,
// country, region in that order, or in any order under a header line
// that names them. Lines starting with # are comments. Every row is
// checked before anything is imported; the first bad one is named by its
// line.
func readContacts(r io.Reader, name string) ([]contactRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	cols := map[string]int{"kind": 0, "name": 1, "email": 2, "country": 3, "region": 4, "covers": 5, "shift": 6, "lang": 7, "sector": 8}
	var rows []contactRow
	var errs []string
	seen := map[string]int{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// csv.ParseError names the line.
			return nil, fmt.Errorf("%s: %w; fix the file and import it again", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first && isHeader(rec) {
			if cols, err = csvColumns(rec); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, line, err)
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		c, err := contactOf(rec, cols)
		var shift string
		if err == nil {
			shift, err = shiftOf(rec, cols, c.Kind)
		}
		var subscribed string
		if err == nil {
			subscribed, err = subscribedOf(rec, cols, c.Kind)
		}
		var lang string
		if err == nil {
			lang, err = langOf(rec, cols)
		}
		if err == nil {
			key := c.Kind + " " + c.Email
			if prev, dup := seen[key]; dup {
				err = fmt.Errorf("%s %s is on line %d already", c.Kind, c.Email, prev)
			}
			seen[key] = line
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", name, line, err))
			continue
		}
		rows = append(rows, contactRow{Contact: c, line: line, shift: shift, subscribed: subscribed, lang: lang})
	}
	switch {
	case len(errs) == 1:
		return nil, fmt.Errorf("%s; nothing was imported: fix the line and import the file again", errs[0])
	case len(errs) > 1:
		return nil, fmt.Errorf("%s (and %d more bad %s); nothing was imported: fix them and import the file again",
			errs[0], len(errs)-1, countNoun(len(errs)-1, "line", "lines"))
	case len(rows) == 0:
		return nil, fmt.Errorf("%s: no contacts in it; the columns are kind, name, email, country, region", name)
	}
	return rows, nil
}

// isHeader reports whether a first line names columns rather than
// holding a contact: its first field is a column's name.
func isHeader(rec []string) bool {
	switch strings.ToLower(strings.TrimSpace(rec[0])) {
	case "kind", "name", "email", "country", "region", "covers", "shift", "subscribed", "lang", "sector":
		return true
	}
	return false
}

// csvColumns maps the columns of a header line.
func csvColumns(rec []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, h := range rec {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "kind", "name", "email", "country", "region", "covers", "shift", "subscribed", "lang", "sector":
			if _, dup := cols[h]; dup {
				return nil, fmt.Errorf("column %q appears twice in the header", h)
			}
			cols[h] = i
		default:
			return nil, fmt.Errorf("unknown column %q in the header: the columns are kind, name, email, country, region, covers, shift, subscribed, lang, sector", h)
		}
	}
	if _, ok := cols["email"]; !ok {
		return nil, errors.New("the header has no email column")
	}
	return cols, nil
}

func contactOf(rec []string, cols map[string]int) (store.Contact, error) {
	get := func(col string) string {
		i, ok := cols[col]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	if last := slices.Max(slices.Collect(maps.Values(cols))); len(rec) > last+1 {
		return store.Contact{}, fmt.Errorf("%d fields, want at most %d (kind, name, email, country, region, covers, shift, lang, sector)", len(rec), last+1)
	}
	c := store.Contact{
		Kind:    strings.ToLower(get("kind")),
		Name:    get("name"),
		Email:   strings.ToLower(get("email")),
		Country: strings.ToUpper(get("country")),
		Region:  get("region"),
		Covers:  strings.Join(strings.Fields(get("covers")), " "),
		Sector:  strings.ToLower(strings.Join(strings.Fields(get("sector")), " ")),
	}
	if !slices.Contains(contactKinds, c.Kind) {
		return c, fmt.Errorf("kind %q is not cert, institution, triager, abuse or le", get("kind"))
	}
	if err := checkCovers(c); err != nil {
		return c, err
	}
	if c.Email == "" {
		return c, errors.New("no email address")
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || !strings.Contains(c.Email, "@") {
		return c, fmt.Errorf("%q is not a bare mail address (like cert@cert.example)", get("email"))
	}
	if c.Name == "" && c.Kind != "triager" {
		return c, fmt.Errorf("a %s needs a name: #escalate and the mails use it", c.Kind)
	}
	if c.Country != "" && !isCountryCode(c.Country) {
		return c, fmt.Errorf("country %q is not a two-letter ISO 3166 code (like FR)", get("country"))
	}
	if c.Sector != "" && c.Kind != "institution" {
		return c, fmt.Errorf("a %s has no sector: only institutions are scoped by sector (TAXII keys)", c.Kind)
	}
	for _, s := range []string{c.Name, c.Region, c.Sector} {
		if strings.IndexFunc(s, unicode.IsControl) >= 0 {
			return c, errors.New("a control character in a name or region")
		}
	}
	return c, nil
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func printContacts(w io.Writer, cs []store.Contact) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tEMAIL\tCOUNTRY\tREGION\tSECTOR\tCOVERS\tSUBSCRIBED")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Kind, dashIfEmpty(c.Name), c.Email, dashIfEmpty(c.Country), dashIfEmpty(c.Region), dashIfEmpty(c.Sector), dashIfEmpty(c.Covers),
			subscription(c))
	}
	tw.Flush()
	if len(cs) == 0 {
		fmt.Fprintln(w, "(no contacts; add them with 'leaguemail contacts import FILE.csv')")
	}
}

// shiftOf reads a triager's on-call shift, "Mon-Fri 08:00-16:00
// Europe/Paris; Sat 10:00-14:00 UTC" (package sla), checked here so that
// the store holds only shifts that parse.
func shiftOf(rec []string, cols map[string]int, kind string) (string, error) {
	i, ok := cols["shift"]
	if !ok || i >= len(rec) {
		return "", nil
	}
	s := strings.TrimSpace(rec[i])
	if s == "" {
		return "", nil
	}
	if kind != "triager" {
		return "", fmt.Errorf("a %s has no shift: only triagers are on call", kind)
	}
	if _, err := sla.ParseShift(s); err != nil {
		return "", err
	}
	return s, nil
}

// langOf reads the optional lang column: a BCP 47 language tag ("fr",
// "pt-BR"), kept in its canonical form.
func langOf(rec []string, cols map[string]int) (string, error) {
	i, ok := cols["lang"]
	if !ok || i >= len(rec) || strings.TrimSpace(rec[i]) == "" {
		return "", nil
	}
	tag, err := language.Parse(strings.TrimSpace(rec[i]))
	if err != nil {
		return "", fmt.Errorf("lang %q is not a BCP 47 language tag (like fr or pt-BR)", strings.TrimSpace(rec[i]))
	}
	return strings.ToLower(tag.String()), nil
}
