package store

import (
	"context"
	"fmt"
	"strings"
)

const contactColumns = `id, kind, name, email, domain, country, region, covers, unsubscribed, sector`

func contactList(ctx context.Context, q querier, where string, args ...any) ([]Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.ID, &c.Kind, &c.Name, &c.Email, &c.Domain, &c.Country, &c.Region, &c.Covers, &c.Unsubscribed, &c.Sector); err != nil {
			return nil, fmt.Errorf("list contacts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// Contacts lists the contacts of kind (all of them if kind is empty),
// ordered by kind, name and email.
func (s *Store) Contacts(ctx context.Context, kind string) ([]Contact, error) {
	return contactList(ctx, s.r, `WHERE (? = '' OR kind = ?) ORDER BY kind, name, email`, kind, kind)
}

// Contacts lists the contacts of kind (all of them if kind is empty),
// ordered by kind, name and email.
func (tx *Tx) Contacts(ctx context.Context, kind string) ([]Contact, error) {
	return contactList(ctx, tx.tx, `WHERE (? = '' OR kind = ?) ORDER BY kind, name, email`, kind, kind)
}

// ContactsByEmail returns the contacts with that address, of any kind.
func (tx *Tx) ContactsByEmail(ctx context.Context, email string) ([]Contact, error) {
	return contactList(ctx, tx.tx, `WHERE email = ? ORDER BY kind, id`, strings.ToLower(strings.TrimSpace(email)))
}
