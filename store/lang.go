package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SetLang records the language of an address; "" forgets it.
func (tx *Tx) SetLang(ctx context.Context, email, lang string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if lang == "" {
		_, err := exec(ctx, tx.tx, "forget language", `DELETE FROM languages WHERE email = ?`, email)
		return err
	}
	_, err := exec(ctx, tx.tx, "save language",
		`INSERT INTO languages (email, lang) VALUES (?, ?) ON CONFLICT (email) DO UPDATE SET lang = excluded.lang`, email, lang)
	return err
}

// Lang returns the language of an address, "" if none is known.
func (tx *Tx) Lang(ctx context.Context, email string) (string, error) {
	var lang string
	err := tx.tx.QueryRowContext(ctx, `SELECT lang FROM languages WHERE email = ?`, strings.ToLower(strings.TrimSpace(email))).Scan(&lang)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("language of %s: %w", email, err)
	}
	return lang, nil
}
