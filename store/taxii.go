package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TAXIIKey is one consumer's API key of the TAXII server, without the key:
// only its hash is stored.
type TAXIIKey struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// TLP is the strictest TLP the key may see: clear, green, amber or
	// amber+strict (red never leaves over TAXII).
	TLP string `json:"tlp"`
	// Country and Sector, when set, limit what the key sees above
	// TLP:GREEN to the tickets of institutions of that country (ISO 3166
	// code) and sector.
	Country   string    `json:"country,omitempty"`
	Sector    string    `json:"sector,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// ErrKeyName is returned when a live TAXII key already has that name.
var ErrKeyName = errors.New("a live key already has that name")

// AddTAXIIKey stores a key by its hash.
func (s *Store) AddTAXIIKey(ctx context.Context, k TAXIIKey, hash []byte) (int64, error) {
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM taxii_keys WHERE name = ? AND revoked_at = ''`, k.Name).Scan(&n); err != nil {
			return fmt.Errorf("add TAXII key: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("add TAXII key %s: %w", k.Name, ErrKeyName)
		}
		return tx.tx.QueryRowContext(ctx,
			`INSERT INTO taxii_keys (name, hash, tlp, country, sector, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			k.Name, hash, k.TLP, k.Country, k.Sector, tstr(time.Now())).Scan(&id)
	})
	if err != nil && !errors.Is(err, ErrKeyName) {
		return 0, fmt.Errorf("add TAXII key %s: %w", k.Name, err)
	}
	return id, err
}

const taxiiKeyColumns = `id, name, tlp, country, sector, created_at, revoked_at`

func scanTAXIIKey(sc interface{ Scan(...any) error }) (TAXIIKey, error) {
	var k TAXIIKey
	var created, revoked string
	err := sc.Scan(&k.ID, &k.Name, &k.TLP, &k.Country, &k.Sector, &created, &revoked)
	k.CreatedAt, k.RevokedAt = ptime(created), ptime(revoked)
	return k, err
}

// TAXIIKeys lists every key, live or revoked, by name then age.
func (s *Store) TAXIIKeys(ctx context.Context) ([]TAXIIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+taxiiKeyColumns+` FROM taxii_keys ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("list TAXII keys: %w", err)
	}
	defer rows.Close()
	var out []TAXIIKey
	for rows.Next() {
		k, err := scanTAXIIKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list TAXII keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// LiveTAXIIKeys counts the keys not revoked.
func (s *Store) LiveTAXIIKeys(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM taxii_keys WHERE revoked_at = ''`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count TAXII keys: %w", err)
	}
	return n, nil
}

// TAXIIKeyByHash returns the live key whose hash is hash, with the hash
// stored, or ErrNotFound. The caller compares the hashes in constant time.
func (s *Store) TAXIIKeyByHash(ctx context.Context, hash []byte) (TAXIIKey, []byte, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+taxiiKeyColumns+`, hash FROM taxii_keys WHERE hash = ? AND revoked_at = ''`, hash)
	var k TAXIIKey
	var created, revoked string
	var stored []byte
	err := row.Scan(&k.ID, &k.Name, &k.TLP, &k.Country, &k.Sector, &created, &revoked, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return TAXIIKey{}, nil, ErrNotFound
	}
	if err != nil {
		return TAXIIKey{}, nil, fmt.Errorf("look up TAXII key: %w", err)
	}
	k.CreatedAt, k.RevokedAt = ptime(created), ptime(revoked)
	return k, stored, nil
}

// TAXIIKeyByName returns the live key named name, or ErrNotFound.
func (s *Store) TAXIIKeyByName(ctx context.Context, name string) (TAXIIKey, error) {
	k, err := scanTAXIIKey(s.r.QueryRowContext(ctx, `SELECT `+taxiiKeyColumns+` FROM taxii_keys WHERE name = ? AND revoked_at = ''`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return TAXIIKey{}, ErrNotFound
	}
	if err != nil {
		return TAXIIKey{}, fmt.Errorf("look up TAXII key %s: %w", name, err)
	}
	return k, nil
}

// RevokeTAXIIKey revokes the live key named name at once; ErrNotFound if
// there is none.
func (s *Store) RevokeTAXIIKey(ctx context.Context, name string) error {
	return s.Update(ctx, func(tx *Tx) error {
		res, err := exec(ctx, tx.tx, "revoke TAXII key "+name,
			`UPDATE taxii_keys SET revoked_at = ? WHERE name = ? AND revoked_at = ''`, tstr(time.Now()), name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("revoke TAXII key %s: %w", name, ErrNotFound)
		}
		return nil
	})
}

// ObjectVersion names one version of a STIX object: its id and its
// modified time (or created, for an object that is never modified), as
// STIX writes it.
type ObjectVersion struct {
	ID      string
	Version string
}

// DateAdded returns when each version in vs was first served in
// collection, recording now for those never served before. New versions
// get stamps one microsecond apart, in the order of vs, each after every
// stamp the collection already has: date_added is distinct and only grows
// within a collection, so that a consumer that saw up to a time misses
// nothing added later.
func (s *Store) DateAdded(ctx context.Context, collection string, vs []ObjectVersion) (map[ObjectVersion]time.Time, error) {
	out, err := s.dateAdded(ctx, s.r, collection)
	if err != nil {
		return nil, err
	}
	var missing []ObjectVersion
	for _, v := range vs {
		if _, ok := out[v]; !ok {
			missing = append(missing, v)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	err = s.Update(ctx, func(tx *Tx) error {
		// Read again under the write lock: another request may have
		// recorded them meanwhile, and its stamps win.
		var err error
		if out, err = s.dateAdded(ctx, tx.tx, collection); err != nil {
			return err
		}
		var last string
		if err := tx.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(date_added), '') FROM taxii_added WHERE collection = ?`, collection).Scan(&last); err != nil {
			return fmt.Errorf("date added: %w", err)
		}
		at := time.Now().UTC().Truncate(time.Microsecond)
		if l := ptime(last); !l.IsZero() && !at.After(l) {
			at = l.Add(time.Microsecond)
		}
		for _, v := range missing {
			if _, ok := out[v]; ok {
				continue
			}
			if _, err := exec(ctx, tx.tx, "record date added",
				`INSERT INTO taxii_added (collection, object, version, date_added) VALUES (?, ?, ?, ?)`,
				collection, v.ID, v.Version, tstr(at)); err != nil {
				return err
			}
			out[v] = at
			at = at.Add(time.Microsecond)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) dateAdded(ctx context.Context, q querier, collection string) (map[ObjectVersion]time.Time, error) {
	rows, err := q.QueryContext(ctx, `SELECT object, version, date_added FROM taxii_added WHERE collection = ?`, collection)
	if err != nil {
		return nil, fmt.Errorf("date added: %w", err)
	}
	defer rows.Close()
	out := make(map[ObjectVersion]time.Time)
	for rows.Next() {
		var v ObjectVersion
		var at string
		if err := rows.Scan(&v.ID, &v.Version, &at); err != nil {
			return nil, fmt.Errorf("date added: %w", err)
		}
		out[v] = ptime(at)
	}
	return out, rows.Err()
}

// normSector is how sectors compare: lower case, single spaces.
func normSector(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
