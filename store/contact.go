package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// PutContact adds a contact, or updates the one of the same kind and email.
func (s *Store) PutContact(ctx context.Context, c Contact) (int64, error) {
	var id int64
	err := s.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.PutContact(ctx, c)
		return err
	})
	return id, err
}

// PutContact adds a contact, or updates the one of the same kind and email.
// Domain defaults to the email's domain. An update keeps the contact's
// subscription to the area alerts: a hospital that left them by mail is
// not brought back by an import (SetSubscribed says so explicitly).
func (tx *Tx) PutContact(ctx context.Context, c Contact) (int64, error) {
	tx.triagers = nil
	c.Email = strings.ToLower(strings.TrimSpace(c.Email))
	if c.Domain == "" {
		_, c.Domain, _ = strings.Cut(c.Email, "@")
	}
	c.Domain = strings.ToLower(c.Domain)
	c.Sector = normSector(c.Sector)
	var id int64
	err := tx.tx.QueryRowContext(ctx,
		`INSERT INTO contacts (kind, name, email, domain, country, region, covers, unsubscribed, sector) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (kind, email) DO UPDATE SET name = excluded.name, domain = excluded.domain,
		   country = excluded.country, region = excluded.region, covers = excluded.covers, sector = excluded.sector
		 RETURNING id`, c.Kind, c.Name, c.Email, c.Domain, c.Country, c.Region, c.Covers, btoi(c.Unsubscribed), c.Sector).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save contact %s: %w", c.Email, err)
	}
	return id, nil
}

// InstitutionByDomain returns the institution whose domain is domain or a
// parent of it (mail.hospital.example matches hospital.example), the most
// specific first.
func (tx *Tx) InstitutionByDomain(ctx context.Context, domain string) (*Contact, error) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	var ds []any
	for d := domain; d != ""; {
		ds = append(ds, d)
		_, rest, ok := strings.Cut(d, ".")
		if !ok || !strings.Contains(rest, ".") {
			break // never match a bare public suffix
		}
		d = rest
	}
	if len(ds) == 0 {
		return nil, nil
	}
	// One statement for the domain and its parents, the longest (the most
	// specific) first: it is asked of every report.
	var c Contact
	err := tx.tx.QueryRowContext(ctx,
		`SELECT id, kind, name, email, domain, country, region FROM contacts
		 WHERE kind = 'institution' AND domain IN (?`+strings.Repeat(", ?", len(ds)-1)+`)
		 ORDER BY length(domain) DESC, id LIMIT 1`, ds...).
		Scan(&c.ID, &c.Kind, &c.Name, &c.Email, &c.Domain, &c.Country, &c.Region)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("match institution of %s: %w", domain, err)
	}
	return &c, nil
}

// Triagers returns the email addresses of the triager contacts. They are
// read once per transaction, which asks for them with every mail of a
// group, and again after a contact is written or a savepoint undone.
func (tx *Tx) Triagers(ctx context.Context) ([]string, error) {
	if tx.triagers != nil {
		return slices.Clone(*tx.triagers), nil
	}
	rows, err := tx.tx.QueryContext(ctx, `SELECT email FROM contacts WHERE kind = 'triager' ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("list triagers: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return nil, fmt.Errorf("list triagers: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list triagers: %w", err)
	}
	tx.triagers = &out
	return slices.Clone(out), nil
}
