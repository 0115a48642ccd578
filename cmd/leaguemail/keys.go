package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hospital-league/leaguemail/mailcrypto"
	"github.com/hospital-league/leaguemail/store"
)

// runKeys manages the league's OpenPGP key and the contacts' public keys
// and S/MIME certificates.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON document")
	out := fs.String("out", "", "generate: write the secret key to this `file` (default [crypto] key)")
	passFile := fs.String("passphrase-file", "", "generate: lock the key with the passphrase in this `file` (default [crypto] passphrase_file)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	const usage = "keys generate [--out FILE] | keys import FILE.asc|FILE.pem... | keys list [--json]"
	switch {
	case len(pos) == 1 && pos[0] == "generate":
		return generateKey(so, *out, *passFile, stdout)
	case len(pos) >= 2 && pos[0] == "import":
		return importKeys(ctx, so, pos[1:], stdout)
	case len(pos) == 1 && pos[0] == "list":
		return listKeys(ctx, so, *asJSON, stdout)
	}
	return fmt.Errorf("%w: %s", errUsage, usage)
}

func generateKey(so storeOptions, out, passFile string, stdout io.Writer) error {
	cfg, err := so.load()
	if err != nil {
		return err
	}
	if cfg.League.Address == "" {
		return errors.New("[league] address is not set: the key is made for the league's address")
	}
	if out == "" {
		out = cfg.Crypto.Key
	}
	if out == "" {
		return fmt.Errorf("%w: give --out FILE, or set [crypto] key", errUsage)
	}
	if passFile == "" {
		passFile = cfg.Crypto.PassphraseFile
	}
	var pass []byte
	if passFile != "" {
		p, err := os.ReadFile(passFile)
		if err != nil {
			return fmt.Errorf("passphrase: %w", err)
		}
		pass = bytes.TrimRight(p, "\r\n")
	}
	armored, err := mailcrypto.Generate(cfg.League.Name, cfg.League.Address, pass)
	if err != nil {
		return err
	}
	// O_EXCL: a league key already in use is never overwritten; its loss
	// would leave every CERT with a key we cannot read for.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w (an existing key is never overwritten: move it away first)", err)
	}
	if _, err := f.Write(armored); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	l, err := mailcrypto.ParseLeague(armored, pass)
	if err != nil {
		return err
	}
	pub, err := l.Public().Armored()
	if err != nil {
		return err
	}
	pubPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".pub.asc"
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "league key %s for %s written to %s (public key: %s)\n", l.Public().Fingerprint(), cfg.League.Address, out, pubPath)
	if cfg.Crypto.Key != out {
		fmt.Fprintf(stdout, "set [crypto] key = %q in the config to use it\n", out)
	}
	return nil
}

func importKeys(ctx context.Context, so storeOptions, paths []string, stdout io.Writer) error {
	cfg, err := so.load()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w; check --db or [store] path", err)
	}
	defer st.Close()
	users, err := keyUsers(ctx, st, cfg.Triage.Triagers)
	if err != nil {
		return err
	}
	now := time.Now()
	var failed []string
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		keys, err := parseKeyFile(path, data, now)
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		for _, k := range keys {
			if err := st.PutKey(ctx, k.Key); err != nil {
				return err
			}
			var who []string
			for _, a := range k.Addresses {
				who = append(who, users[a]...)
			}
			line := fmt.Sprintf("imported %s key %s (%s) for %s", k.Kind, k.Fingerprint, k.status, strings.Join(k.Addresses, ", "))
			if len(who) == 0 {
				line += "; no contact has these addresses yet (contacts import binds them)"
			} else {
				line += "; used by " + strings.Join(who, ", ")
			}
			fmt.Fprintln(stdout, line)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d file(s) not imported: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// parsedKey is a key read from a file, ready for the store.
type parsedKey struct {
	store.Key
	status string
}

// parseKeyFile reads OpenPGP keys (armored or binary) or PEM S/MIME
// certificates.
func parseKeyFile(path string, data []byte, now time.Time) ([]parsedKey, error) {
	if bytes.Contains(data, []byte("-----BEGIN CERTIFICATE-----")) {
		certs, err := mailcrypto.ParseCerts(data)
		if err != nil {
			return nil, err
		}
		var out []parsedKey
		for _, c := range certs {
			i := c.Info(now)
			out = append(out, parsedKey{Key: store.Key{Fingerprint: i.Fingerprint, Kind: store.KeySMIME, Data: c.PEM(),
				UserIDs: i.UserIDs, Addresses: i.Addresses, Expires: i.Expires, ImportedAt: now}, status: i.Status})
		}
		return out, nil
	}
	keys, err := mailcrypto.ParseKeys(data)
	if err != nil {
		return nil, err
	}
	var out []parsedKey
	for _, k := range keys {
		i := k.Info(now)
		if len(i.Addresses) == 0 {
			return nil, fmt.Errorf("key %s has no user ID with a mail address: it cannot be bound to a contact", i.Fingerprint)
		}
		armored, err := k.Armored()
		if err != nil {
			return nil, err
		}
		out = append(out, parsedKey{Key: store.Key{Fingerprint: i.Fingerprint, Kind: store.KeyOpenPGP, Data: armored,
			UserIDs: i.UserIDs, Addresses: i.Addresses, Expires: i.Expires, ImportedAt: now}, status: i.Status})
	}
	return out, nil
}

// keyUsers maps an address to the contacts (and configured triagers)
// that have it: "cert CERT-XX".
func keyUsers(ctx context.Context, st *store.Store, triagers []string) (map[string][]string, error) {
	cs, err := st.Contacts(ctx, "")
	if err != nil {
		return nil, err
	}
	users := map[string][]string{}
	for _, c := range cs {
		name := c.Kind + " " + c.Email
		if c.Name != "" {
			name = c.Kind + " " + c.Name
		}
		users[c.Email] = append(users[c.Email], name)
	}
	for _, t := range triagers {
		t = strings.ToLower(t)
		if !slices.Contains(users[t], "triager "+t) {
			users[t] = append(users[t], "triager "+t)
		}
	}
	return users, nil
}

// keyRow is one line of `keys list`.
type keyRow struct {
	store.Key
	Status string   `json:"status"`
	UsedBy []string `json:"used_by"`
}

func listKeys(ctx context.Context, so storeOptions, asJSON bool, stdout io.Writer) error {
	cfg, err := so.load()
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w; check --db or [store] path", err)
	}
	defer st.Close()
	keys, err := st.Keys(ctx)
	if err != nil {
		return err
	}
	users, err := keyUsers(ctx, st, cfg.Triage.Triagers)
	if err != nil {
		return err
	}
	now := time.Now()
	rows := []keyRow{}
	for _, k := range keys {
		r := keyRow{Key: k, UsedBy: []string{}}
		r.Status = keyStatus(k, now)
		for _, a := range k.Addresses {
			r.UsedBy = append(r.UsedBy, users[a]...)
		}
		rows = append(rows, r)
	}
	if asJSON {
		return writeJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tFINGERPRINT\tSTATUS\tEXPIRES\tUSER IDS\tUSED BY")
	for _, r := range rows {
		exp := "never"
		if !r.Expires.IsZero() {
			exp = r.Expires.Format("2006-01-02")
		}
		used := strings.Join(r.UsedBy, ", ")
		if used == "" {
			used = "(no contact)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Kind, r.Fingerprint, r.Status, exp, strings.Join(r.UserIDs, "; "), used)
	}
	return tw.Flush()
}

// keyStatus says whether a stored key is usable now, or why not.
func keyStatus(k store.Key, now time.Time) string {
	if k.Kind == store.KeySMIME {
		certs, err := mailcrypto.ParseCerts(k.Data)
		if err != nil || len(certs) == 0 {
			return "unreadable"
		}
		return certs[0].Info(now).Status
	}
	key, err := mailcrypto.ParseKey(k.Data)
	if err != nil {
		return "unreadable"
	}
	return key.Info(now).Status
}
