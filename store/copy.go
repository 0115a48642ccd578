package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// TableCheck is one table as Copy copied and checked it.
type TableCheck struct {
	Table string
	Rows  int64
	// SHA256 is a digest of the table's rows, independent of their order
	// and of how each store spells a type: the same on both sides.
	SHA256 string
}

// Copy copies every row of src into dst, an empty store of the same
// schema version (leaguemail migrate). src is read in one transaction, a
// snapshot: a gateway may go on writing to it meanwhile, and what is
// copied is the store as it stood when the copy began. dst is written in
// one transaction, then both are counted and hashed table by table; Copy
// fails, and says which table differs, unless every one agrees.
func Copy(ctx context.Context, src, dst *Store) ([]TableCheck, error) {
	tables, err := src.tablesInOrder(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		var n int64
		if err := dst.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t.name).Scan(&n); err != nil {
			return nil, fmt.Errorf("copy: the target has no table %s: %w", t.name, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("copy: the target is not empty (%s has %d rows): copy into a new database", t.name, n)
		}
	}
	stx, err := src.r.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	defer stx.Rollback()
	from := txn{tx: stx, d: src.d}
	err = dst.Update(ctx, func(tx *Tx) error {
		for _, t := range tables {
			if err := copyTable(ctx, from, tx.tx, t); err != nil {
				return err
			}
		}
		if dst.d == postgresDialect {
			return resetIdentities(ctx, tx.tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy: %w", err)
	}
	var checks []TableCheck
	for _, t := range tables {
		a, err := hashTable(ctx, from, t)
		if err != nil {
			return nil, err
		}
		b, err := hashTable(ctx, dst.r, t)
		if err != nil {
			return nil, err
		}
		if a != b {
			return nil, fmt.Errorf("copy: table %s differs after the copy: %d rows (%s) in the source, %d (%s) in the target",
				t.name, a.Rows, a.SHA256[:12], b.Rows, b.SHA256[:12])
		}
		checks = append(checks, a)
	}
	return checks, nil
}

type table struct {
	name string
	cols []string
	self []string // columns referencing the table itself
}

// tablesInOrder lists the store's tables so that each comes after those
// it references (a SQLite store's catalogue says which).
func (s *Store) tablesInOrder(ctx context.Context) ([]table, error) {
	if s.d != sqliteDialect {
		return nil, fmt.Errorf("copy: the source must be a SQLite store")
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("copy: list tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	deps := map[string][]string{}
	byName := map[string]*table{}
	for _, n := range names {
		t := &table{name: n}
		byName[n] = t
		cr, err := s.r.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, n)
		if err != nil {
			return nil, fmt.Errorf("copy: columns of %s: %w", n, err)
		}
		for cr.Next() {
			var c string
			cr.Scan(&c)
			t.cols = append(t.cols, c)
		}
		cr.Close()
		fr, err := s.r.QueryContext(ctx, `SELECT "table", "from" FROM pragma_foreign_key_list(?)`, n)
		if err != nil {
			return nil, fmt.Errorf("copy: references of %s: %w", n, err)
		}
		for fr.Next() {
			var ref, col string
			fr.Scan(&ref, &col)
			if ref == n {
				t.self = append(t.self, col)
			} else {
				deps[n] = append(deps[n], ref)
			}
		}
		fr.Close()
	}
	var out []table
	done := map[string]bool{}
	var visit func(n string, path []string) error
	visit = func(n string, path []string) error {
		if done[n] {
			return nil
		}
		if slices.Contains(path, n) {
			return fmt.Errorf("copy: tables reference each other in a cycle: %s", strings.Join(append(path, n), " -> "))
		}
		for _, d := range deps[n] {
			if byName[d] != nil {
				if err := visit(d, append(path, n)); err != nil {
					return err
				}
			}
		}
		done[n] = true
		out = append(out, *byName[n])
		return nil
	}
	for _, n := range names {
		if err := visit(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// copyTable copies t's rows; columns that reference t itself (a ticket
// that follows another) are set once every row is in.
func copyTable(ctx context.Context, from, to querier, t table) error {
	rows, err := from.QueryContext(ctx, `SELECT `+strings.Join(t.cols, ", ")+` FROM `+t.name)
	if err != nil {
		return fmt.Errorf("read %s: %w", t.name, err)
	}
	defer rows.Close()
	ins := `INSERT INTO ` + t.name + ` (` + strings.Join(t.cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(t.cols)-1) + `)`
	type later struct{ key, vals []any }
	var fix []later
	keyCols := t.cols[:1]
	for rows.Next() {
		vals := make([]any, len(t.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", t.name, err)
		}
		var selfVals []any
		for _, c := range t.self {
			i := slices.Index(t.cols, c)
			selfVals = append(selfVals, vals[i])
			vals[i] = nil
		}
		if len(t.self) > 0 {
			fix = append(fix, later{key: vals[:1:1], vals: selfVals})
		}
		if _, err := to.ExecContext(ctx, ins, vals...); err != nil {
			return fmt.Errorf("write %s: %w", t.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.name, err)
	}
	for _, f := range fix {
		var set []string
		for _, c := range t.self {
			set = append(set, c+" = ?")
		}
		if _, err := to.ExecContext(ctx, `UPDATE `+t.name+` SET `+strings.Join(set, ", ")+` WHERE `+keyCols[0]+` = ?`,
			append(f.vals, f.key...)...); err != nil {
			return fmt.Errorf("write %s: %w", t.name, err)
		}
	}
	return nil
}

// hashTable counts t's rows and digests them: each row's values spelt
// one way whatever the store (integers in decimal, text and bytes as
// they are, NULL apart), the row digests sorted, then digested. The one
// difference allowed is the text PostgreSQL cannot hold (see args).
func hashTable(ctx context.Context, q querier, t table) (TableCheck, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(t.cols, ", ")+` FROM `+t.name)
	if err != nil {
		return TableCheck{}, fmt.Errorf("check %s: %w", t.name, err)
	}
	defer rows.Close()
	var digests []string
	for rows.Next() {
		vals := make([]any, len(t.cols))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return TableCheck{}, fmt.Errorf("check %s: %w", t.name, err)
		}
		h := sha256.New()
		for _, v := range vals {
			var s string
			switch x := v.(type) {
			case nil:
				s = "n"
			case int64:
				s = "i" + strconv.FormatInt(x, 10)
			case float64:
				s = "f" + strconv.FormatFloat(x, 'g', -1, 64)
			case string:
				// Text PostgreSQL cannot hold (NUL, bytes not UTF-8) is
				// stored there with U+FFFD (dialect.args): compared so.
				s = "v" + postgresDialect.args([]any{x})[0].(string)
			case []byte:
				s = "v" + string(x)
			case bool:
				s = "i" + strconv.Itoa(btoi(x))
			default:
				s = fmt.Sprintf("?%v", x)
			}
			fmt.Fprintf(h, "%d:%s", len(s), s)
		}
		digests = append(digests, string(h.Sum(nil)))
	}
	if err := rows.Err(); err != nil {
		return TableCheck{}, fmt.Errorf("check %s: %w", t.name, err)
	}
	slices.Sort(digests)
	h := sha256.New()
	for _, d := range digests {
		h.Write([]byte(d))
	}
	return TableCheck{Table: t.name, Rows: int64(len(digests)), SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}
