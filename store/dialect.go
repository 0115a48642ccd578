package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// The store's SQL is written once, in the subset that SQLite and
// PostgreSQL agree on, with SQLite's "?" placeholders. What differs is
// translated here, explicitly and in one place:
//   - placeholders: "?" becomes "$1", "$2"... for PostgreSQL;
//   - arguments: PostgreSQL's BIGINT takes no Go bool, so bools go as 0/1
//     (what SQLite stores for them anyway); its TEXT holds neither NUL
//     nor bytes that are not UTF-8, which SQLite's does, so those become
//     U+FFFD in text (a mail's own bytes are kept whole, in raw's BYTEA);
//   - a few expressions (JSON arrays, string aggregation) through the
//     dialect's methods below;
//   - the schema, statement by statement (schema.go).

// dialect is the SQL dialect of a store.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// rebinds caches the PostgreSQL form of every query: the store's queries
// are a fixed set of constants, so the cache stays small.
var rebinds sync.Map

// bind returns query with the placeholders of d.
func (d dialect) bind(query string) string {
	if d != postgresDialect {
		return query
	}
	if q, ok := rebinds.Load(query); ok {
		return q.(string)
	}
	q := rebind(query)
	rebinds.Store(query, q)
	return q
}

// rebind turns every "?" outside string literals, quoted names and
// comments into "$n".
func rebind(query string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(query) {
				j = len(query) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// args converts arguments to what d's driver takes.
func (d dialect) args(args []any) []any {
	if d != postgresDialect {
		return args
	}
	out := args
	for i, a := range args {
		var v any
		switch x := a.(type) {
		case bool:
			v = int64(btoi(x))
		case uint32:
			v = int64(x)
		case uint:
			v = int64(x)
		case uint64:
			v = int64(x)
		case string:
			if utf8.ValidString(x) && !strings.ContainsRune(x, 0) {
				continue
			}
			v = strings.ReplaceAll(strings.ToValidUTF8(x, "\uFFFD"), "\x00", "\uFFFD")
		default:
			continue
		}
		if &out[0] == &args[0] {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	return out
}

// jsonUnion is an expression for the JSON array of the distinct strings
// of the JSON arrays a and b (sorted, as a UNION gives them).
func (d dialect) jsonUnion(a, b string) string {
	if d == postgresDialect {
		return `(SELECT COALESCE(json_agg(u.v ORDER BY u.v), '[]')::text FROM (
		   SELECT json_array_elements_text(` + a + `::json) AS v UNION SELECT json_array_elements_text(` + b + `::json)) u)`
	}
	return `(SELECT json_group_array(value) FROM (
		   SELECT value FROM json_each(` + a + `) UNION SELECT value FROM json_each(` + b + `)))`
}

// jsonDistinct is an expression for the JSON array of the distinct
// values of expr over the rows of from (a FROM ... WHERE ... tail).
func (d dialect) jsonDistinct(expr, from string) string {
	if d == postgresDialect {
		return `(SELECT COALESCE(json_agg(DISTINCT ` + expr + `), '[]')::text ` + from + `)`
	}
	return `(SELECT json_group_array(DISTINCT ` + expr + `) ` + from + `)`
}

// jsonElements is a FROM item of the elements of the JSON array col,
// each a row with the text column value, under alias.
func (d dialect) jsonElements(col, alias string) string {
	if d == postgresDialect {
		return `json_array_elements_text(` + col + `::json) AS ` + alias + `(value)`
	}
	return `json_each(` + col + `) ` + alias
}

// groupConcat is the aggregate joining the text of expr with commas.
func (d dialect) groupConcat(expr string, distinct bool) string {
	dis := ""
	if distinct {
		dis = "DISTINCT "
	}
	if d == postgresDialect {
		return `string_agg(` + dis + `(` + expr + `)::text, ',')`
	}
	return `group_concat(` + dis + expr + `)`
}

// strpos is the 1-based position of needle in s, 0 if absent.
func (d dialect) strpos(s, needle string) string {
	if d == postgresDialect {
		return `strpos(` + s + `, ` + needle + `)`
	}
	return `instr(` + s + `, ` + needle + `)`
}

// nowMillis is the database's clock in milliseconds since 1970: leases
// and claims are timed by the one clock every gateway shares.
func (d dialect) nowMillis() string {
	if d == postgresDialect {
		return `CAST(floor(extract(epoch FROM clock_timestamp()) * 1000) AS BIGINT)`
	}
	return `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`
}

// conn is a *sql.DB that speaks the store's SQL in its dialect.
type conn struct {
	db *sql.DB
	d  dialect
}

func (c conn) sqlDialect() dialect { return c.d }

func (t txn) sqlDialect() dialect { return t.d }

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, c.d.bind(query), c.d.args(args)...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.db.QueryContext(ctx, c.d.bind(query), c.d.args(args)...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.db.QueryRowContext(ctx, c.d.bind(query), c.d.args(args)...)
}

// txn is a write transaction that speaks the store's SQL in its dialect.
// With stmts it prepares each statement once: a group commit runs the
// same few dozen statements for every mail of the group, and a prepare
// costs about as much as the statements' work. PostgreSQL's transactions
// keep them so; SQLite's leave them to the driver's cache, which keeps
// them across transactions too (see Store.updateSQLite).
type txn struct {
	tx    runner
	d     dialect
	stmts map[string]*sql.Stmt // nil: nothing kept
}

// runner is what a txn runs its statements on: a *sql.Tx on PostgreSQL,
// the writer's *sql.Conn inside BEGIN ... COMMIT on SQLite (see
// Store.updateSQLite).
type runner interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// maxStmts bounds the statements kept by one transaction (queries with IN
// lists differ by the length of the list).
const maxStmts = 256

// stmt returns the prepared form of query (already bound), or nil when
// the transaction keeps none.
func (t txn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if t.stmts == nil {
		return nil, nil
	}
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

// statementContext is the context a statement of the transaction runs
// under, once ctx was found live: a cancelled ctx stops the transaction at
// its next statement with ctx's error on both stores (on PostgreSQL
// database/sql's own rollback of the cancelled transaction would otherwise
// race the statement, which then fails with "statement is closed"). On
// SQLite it is ctx without its cancellation: the driver watches a
// cancellable context with a goroutine (exec) or a callback (query) per
// statement, and a write transaction holds the lock from BEGIN, so no
// statement of it waits on another writer.
func (t txn) statementContext(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if t.d != sqliteDialect {
		return ctx, nil
	}
	return context.WithoutCancel(ctx), nil
}

func (t txn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, err := t.statementContext(ctx)
	if err != nil {
		return nil, err
	}
	q, a := t.d.bind(query), t.d.args(args)
	st, err := t.stmt(ctx, q)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return t.tx.ExecContext(ctx, q, a...)
	}
	return st.ExecContext(ctx, a...)
}

func (t txn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	ctx, err := t.statementContext(ctx)
	if err != nil {
		return nil, err
	}
	q, a := t.d.bind(query), t.d.args(args)
	st, err := t.stmt(ctx, q)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return t.tx.QueryContext(ctx, q, a...)
	}
	return st.QueryContext(ctx, a...)
}

// QueryRowContext, as sql's, reports a prepare error from Scan.
func (t txn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if c, err := t.statementContext(ctx); err == nil {
		ctx = c // else the cancelled ctx makes the row's error
	}
	q, a := t.d.bind(query), t.d.args(args)
	if st, err := t.stmt(ctx, q); err == nil && st != nil {
		return st.QueryRowContext(ctx, a...)
	}
	return t.tx.QueryRowContext(ctx, q, a...)
}
