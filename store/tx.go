package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Tx is a write transaction. It is only valid inside the function given
// to Update.
type Tx struct {
	tx *sql.Tx
}

// Update runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise. Write transactions run one at a time.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqltx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{tx: sqltx}); err != nil {
		sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one statement, wrapping its error with what.
func exec(ctx context.Context, q querier, what, query string, args ...any) (sql.Result, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}
