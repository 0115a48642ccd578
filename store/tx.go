package store

import (
	"context"
	"database/sql"
	"fmt"
)

// Tx is a write transaction. It is only valid inside the function given
// to Update.
type Tx struct {
	tx *stmtTx
}

// stmtTx is a transaction that prepares each statement once: a group
// commit runs the same few dozen statements for every mail of the group,
// and SQLite's prepare cost about as much as the statements' work.
type stmtTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the statements kept by one transaction (queries with IN
// lists differ by the length of the list).
const maxStmts = 256

func (t *stmtTx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if len(t.stmts) < maxStmts {
		t.stmts[query] = st
	}
	return st, nil
}

func (t *stmtTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *stmtTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext, as sql's, reports a prepare error from Scan.
func (t *stmtTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// Update runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise. Write transactions run one at a time.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	sqltx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(&Tx{tx: &stmtTx{tx: sqltx, stmts: map[string]*sql.Stmt{}}}); err != nil {
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
