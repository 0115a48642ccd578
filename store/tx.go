package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
)

// Tx is a write transaction. It is only valid inside the function given
// to Update.
type Tx struct {
	tx txn
	d  dialect
	// checkpoints are the checkpoint advances written at commit, by
	// mailbox.
	checkpoints map[string]*advance
	// triagers caches Triagers; nil when not read.
	triagers *[]string
}

// Update runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise. Write transactions run one at a time: on SQLite
// the file's write lock, taken at BEGIN, makes it so; on PostgreSQL a
// transaction-scoped advisory lock taken first thing does the same across
// every gateway sharing the store, so that the rules written for one
// writer (one acknowledgement per report, rate limits that count rows,
// a checkpoint that only rises) hold for all of them.
//
// A ctx that carries a fence (WithFence) makes the transaction check,
// first, that the lease it names is still held: a leader that lost its
// lease commits nothing more.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	return s.update(ctx, s.w, fn)
}

// update is Update on the writer c.
func (s *Store) update(ctx context.Context, c conn, fn func(tx *Tx) error) error {
	if s.d == sqliteDialect {
		return s.updateSQLite(ctx, c, fn)
	}
	sqltx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	// Rolled back however fn ends, a panic included, lest the writer
	// lock be held by a transaction nobody will end.
	defer sqltx.Rollback()
	tx := &Tx{tx: txn{tx: sqltx, d: s.d, stmts: map[string]*sql.Stmt{}}, d: s.d}
	if _, err := sqltx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, s.writerKey); err != nil {
		return fmt.Errorf("begin: take the writer lock: %w", err)
	}
	if err := tx.run(ctx, fn); err != nil {
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// updateSQLite runs fn between BEGIN IMMEDIATE and COMMIT on a connection
// of c held for it, not in a database/sql transaction: database/sql
// watches every row set read in one of those with a goroutine of its own,
// which cost a tenth of a group commit. Its statements check ctx
// themselves (txn.statementContext). They are not prepared by the
// transaction (txn.stmts is nil): the driver keeps each statement it ran
// on the connection, across transactions (the DSN's _stmt_cache_size),
// while one prepared by database/sql bypasses that cache, so that every
// group commit prepared its statements anew: the commit stage took 10,000
// corpus mails at 1,519–1,572 mails/s that way, 1,570–1,576 without
// (BenchmarkIngestCommit, -commit.mails=10000, three runs each,
// alternated). A connection whose transaction could not be ended is
// discarded rather than handed to the next writer.
func (s *Store) updateSQLite(ctx context.Context, c conn, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	sc, err := c.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if _, err := sc.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		sc.Close()
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: txn{tx: sc, d: s.d}, d: s.d}
	ended := false
	defer func() {
		if !ended { // fn failed or panicked, or COMMIT failed
			if _, err := sc.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`); err != nil {
				sc.Raw(func(any) error { return driver.ErrBadConn })
			}
		}
		sc.Close()
	}()
	if err := tx.run(ctx, fn); err != nil {
		return err
	}
	if _, err := sc.ExecContext(context.WithoutCancel(ctx), `COMMIT`); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	ended = true
	return nil
}

// run checks the fence of ctx, if any, then runs fn in tx and writes
// what fn left to be written at commit.
func (tx *Tx) run(ctx context.Context, fn func(tx *Tx) error) error {
	if f, ok := ctx.Value(fenceKey{}).(*Lease); ok {
		if err := tx.checkLease(ctx, f); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.writeCheckpoints(ctx)
}

// exec runs one statement, wrapping its error with what.
func exec(ctx context.Context, q querier, what, query string, args ...any) (sql.Result, error) {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// insertID runs an INSERT ... RETURNING of the new row's integer primary
// key and returns it: the statement both stores agree on (the PostgreSQL
// driver has no LastInsertId). SQLite runs it without the RETURNING, the
// key being the rowid it reports: a row set for one value cost more than
// the insert of a small row.
func insertID(ctx context.Context, q querier, what, query string, args ...any) (int64, error) {
	if q.sqlDialect() == sqliteDialect {
		if at := strings.LastIndex(query, " RETURNING "); at > 0 {
			res, err := q.ExecContext(ctx, query[:at], args...)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", what, err)
			}
			id, err := res.LastInsertId()
			if err != nil {
				return 0, fmt.Errorf("%s: %w", what, err)
			}
			return id, nil
		}
	}
	var id int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&id); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return id, nil
}
