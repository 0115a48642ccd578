package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The kinds of key.
const (
	KeyOpenPGP = "openpgp"
	KeySMIME   = "smime"
)

// Key is a contact's public key or certificate, as imported.
type Key struct {
	// Fingerprint is the OpenPGP fingerprint, or the certificate's
	// SHA-256, in upper-case hex.
	Fingerprint string    `json:"fingerprint"`
	Kind        string    `json:"kind"`
	Data        []byte    `json:"-"` // armored key or PEM certificate
	UserIDs     []string  `json:"user_ids"`
	Addresses   []string  `json:"addresses"`
	Expires     time.Time `json:"expires,omitzero"`
	ImportedAt  time.Time `json:"imported_at"`
}

// PutKey adds k, or replaces the key of the same fingerprint (a key
// imported again after its owner extended or revoked it), with its
// addresses.
func (s *Store) PutKey(ctx context.Context, k Key) error {
	return s.Update(ctx, func(tx *Tx) error {
		_, err := exec(ctx, tx.tx, "save key "+k.Fingerprint,
			`INSERT INTO keys (fingerprint, kind, data, user_ids, expires_at, imported_at) VALUES (?, ?, ?, ?, ?, ?)
			 ON CONFLICT (fingerprint) DO UPDATE SET kind = excluded.kind, data = excluded.data,
			   user_ids = excluded.user_ids, expires_at = excluded.expires_at, imported_at = excluded.imported_at`,
			k.Fingerprint, k.Kind, k.Data, jstr(nonNil(k.UserIDs)), tstr(k.Expires), tstr(k.ImportedAt))
		if err != nil {
			return err
		}
		if _, err := exec(ctx, tx.tx, "save key addresses", `DELETE FROM key_addresses WHERE fingerprint = ?`, k.Fingerprint); err != nil {
			return err
		}
		for _, a := range k.Addresses {
			if _, err := exec(ctx, tx.tx, "save key addresses",
				`INSERT INTO key_addresses (fingerprint, email) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				k.Fingerprint, strings.ToLower(strings.TrimSpace(a))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Keys returns every key, oldest import first.
func (s *Store) Keys(ctx context.Context) ([]Key, error) {
	return keyList(ctx, s.r, `ORDER BY imported_at, fingerprint`)
}

// KeysFor returns the keys bound to address.
func (s *Store) KeysFor(ctx context.Context, address string) ([]Key, error) {
	return keyList(ctx, s.r,
		`WHERE fingerprint IN (SELECT fingerprint FROM key_addresses WHERE email = ?) ORDER BY imported_at DESC, fingerprint`,
		strings.ToLower(strings.TrimSpace(address)))
}

func keyList(ctx context.Context, q querier, where string, args ...any) ([]Key, error) {
	rows, err := q.QueryContext(ctx, `SELECT fingerprint, kind, data, user_ids, expires_at, imported_at FROM keys `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var out []Key
	for rows.Next() {
		var k Key
		var uids, exp, imp string
		if err := rows.Scan(&k.Fingerprint, &k.Kind, &k.Data, &uids, &exp, &imp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list keys: %w", err)
		}
		k.UserIDs, k.Expires, k.ImportedAt = jstrings(uids), ptime(exp), ptime(imp)
		out = append(out, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	for i := range out {
		rows, err := q.QueryContext(ctx, `SELECT email FROM key_addresses WHERE fingerprint = ? ORDER BY email`, out[i].Fingerprint)
		if err != nil {
			return nil, fmt.Errorf("list key addresses: %w", err)
		}
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return nil, fmt.Errorf("list key addresses: %w", err)
			}
			out[i].Addresses = append(out[i].Addresses, a)
		}
		rows.Close()
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// UseSignature records that the signature with digest authenticated
// mail, and returns the mail it authenticated first: mail itself the
// first time, another one for a replay.
func (tx *Tx) UseSignature(ctx context.Context, digest string, mail int64, at time.Time) (int64, error) {
	if _, err := exec(ctx, tx.tx, "record signature",
		`INSERT INTO signatures_used (digest, mail, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, digest, mail, tstr(at)); err != nil {
		return 0, err
	}
	var first int64
	if err := tx.tx.QueryRowContext(ctx, `SELECT mail FROM signatures_used WHERE digest = ?`, digest).Scan(&first); err != nil {
		return 0, fmt.Errorf("read signature: %w", err)
	}
	return first, nil
}

// CameEncrypted reports whether mail came encrypted, as triage recorded
// it (a "crypto" event of that mail): what is sent in answer to it must
// not repeat it in clear.
func (s *Store) CameEncrypted(ctx context.Context, mail int64) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx,
		`SELECT count(*) FROM events WHERE mail = ? AND kind = 'crypto' AND data LIKE '%"encrypted":true%'`, mail).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read crypto events of mail %d: %w", mail, err)
	}
	return n > 0, nil
}
