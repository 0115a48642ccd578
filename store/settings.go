package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// Secret returns the key kept in the store for name, creating a random
// 32-byte one on first use. It serves when no key is configured, so that
// reply tokens stay valid from one run to the next.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	var key []byte
	err := s.Update(ctx, func(tx *Tx) error {
		err := tx.tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, name).Scan(&key)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		key = make([]byte, 32)
		rand.Read(key)
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)`, name, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	return key, nil
}
