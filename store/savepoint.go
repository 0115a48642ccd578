package store

import "context"

// Savepoints let a part of a transaction be undone while the rest of it
// stands: a triager's mail is kept even when one of its commands fails
// and the others must not take effect. name is the caller's constant,
// never input: SQL takes no parameter there.

// Savepoint starts a savepoint named name.
func (tx *Tx) Savepoint(ctx context.Context, name string) error {
	_, err := exec(ctx, tx.tx, "savepoint", `SAVEPOINT "`+name+`"`)
	return err
}

// RollbackTo undoes everything since savepoint name and ends it.
func (tx *Tx) RollbackTo(ctx context.Context, name string) error {
	tx.triagers = nil // what was read since may be undone
	if _, err := exec(ctx, tx.tx, "rollback to savepoint", `ROLLBACK TO "`+name+`"`); err != nil {
		return err
	}
	return tx.Release(ctx, name)
}

// Release ends savepoint name, keeping what was done since.
func (tx *Tx) Release(ctx context.Context, name string) error {
	_, err := exec(ctx, tx.tx, "release savepoint", `RELEASE "`+name+`"`)
	return err
}
