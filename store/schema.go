package store

import (
	"fmt"
	"regexp"
	"strings"
)

// The migrations are written once, in SQLite's SQL, and translated for
// PostgreSQL statement by statement. The translation is small and
// explicit; what it does not know it refuses, naming the migration, so
// that a new migration that needs PostgreSQL's own words says so with a
// dialect block:
//
//	-- dialect sqlite
//	...statements only SQLite runs...
//	-- dialect postgres
//	...statements only PostgreSQL runs...
//	-- dialect both
//
// What it translates:
//   - INTEGER becomes BIGINT (IMAP UIDs and UIDVALIDITY pass 2^31), and an
//     INTEGER PRIMARY KEY that references nothing (SQLite's rowid, given
//     on insert) an identity column; AUTOINCREMENT goes with it (identity
//     numbers are never reused either);
//   - BLOB becomes BYTEA; STRICT goes (PostgreSQL's types are strict);
//   - INSERT OR IGNORE becomes INSERT ... ON CONFLICT DO NOTHING;
//   - a trigger that only refuses (SELECT RAISE(ABORT, 'why')) becomes a
//     PL/pgSQL function raising the same message, and a row trigger.

// dialectBlocks keeps the lines of sql meant for d.
func dialectBlocks(sql string, d dialect) (string, error) {
	var b strings.Builder
	keep := true
	for _, line := range strings.SplitAfter(sql, "\n") {
		t := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(t, "-- dialect "); ok {
			switch strings.TrimSpace(rest) {
			case "sqlite":
				keep = d == sqliteDialect
			case "postgres":
				keep = d == postgresDialect
			case "both":
				keep = true
			default:
				return "", fmt.Errorf("%q: want -- dialect sqlite, postgres or both", t)
			}
			continue
		}
		if keep {
			b.WriteString(line)
		}
	}
	return b.String(), nil
}

// splitStatements cuts sql into statements at the semicolons outside
// string literals, quoted names, comments and trigger bodies (BEGIN ...
// END). Comments are dropped.
func splitStatements(sql string) []string {
	var stmts []string
	var cur strings.Builder
	inTrigger := false
	flush := func() {
		if s := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"); s != "" {
			stmts = append(stmts, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) && !(sql[j] == c && (j+1 >= len(sql) || sql[j+1] != c)) {
				if sql[j] == c {
					j++
				}
				j++
			}
			if j >= len(sql) {
				j = len(sql) - 1
			}
			cur.WriteString(sql[i : j+1])
			i = j
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
			} else {
				i += j
				cur.WriteByte('\n')
			}
		case c == ';':
			if inTrigger {
				cur.WriteByte(c)
				if endsWithWord(cur.String(), "END") {
					inTrigger = false
					flush()
				}
				continue
			}
			flush()
		default:
			cur.WriteByte(c)
			if !inTrigger && isWordEnd(sql, i) && endsWithWord(cur.String(), "BEGIN") &&
				strings.HasPrefix(strings.ToUpper(strings.TrimSpace(cur.String())), "CREATE TRIGGER") {
				inTrigger = true
			}
		}
	}
	flush()
	return stmts
}

func isWordEnd(s string, i int) bool {
	return i+1 >= len(s) || !isWordByte(s[i+1])
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// endsWithWord says whether s ends with word (before an optional ";"),
// as a whole word, in any case.
func endsWithWord(s, word string) bool {
	s = strings.TrimRight(strings.TrimSpace(s), ";")
	s = strings.TrimSpace(s)
	if len(s) < len(word) || !strings.EqualFold(s[len(s)-len(word):], word) {
		return false
	}
	return len(s) == len(word) || !isWordByte(s[len(s)-len(word)-1])
}

var (
	reRowid      = regexp.MustCompile(`(?i)\bINTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b`)
	reInteger    = regexp.MustCompile(`(?i)\bINTEGER\b`)
	reBlob       = regexp.MustCompile(`(?i)\bBLOB\b`)
	reStrict     = regexp.MustCompile(`(?i)\)\s*STRICT\s*$`)
	reOrIgnore   = regexp.MustCompile(`(?i)^INSERT\s+OR\s+IGNORE\s+INTO\b`)
	reReferences = regexp.MustCompile(`(?i)^\s*REFERENCES\b`)
	reTrigger    = regexp.MustCompile(`(?is)^CREATE\s+TRIGGER\s+(\w+)\s+(BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)\s+ON\s+(\w+)\s+BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\s*,\s*'((?:[^']|'')*)'\s*\)\s*;\s*END$`)
	// SQLite's own words, refused rather than sent to PostgreSQL.
	reSQLiteOnly = regexp.MustCompile(`(?i)\b(PRAGMA|AUTOINCREMENT|WITHOUT\s+ROWID|RAISE\s*\(|json_each|json_group_array|json_extract|group_concat|datetime\s*\(|strftime\s*\(|julianday\s*\(|INSERT\s+OR\s+\w+|REPLACE\s+INTO|GLOB|instr\s*\()`)
)

// postgresSchema translates one migration to PostgreSQL's statements.
func postgresSchema(sql string) ([]string, error) {
	body, err := dialectBlocks(sql, postgresDialect)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range splitStatements(body) {
		if m := reTrigger.FindStringSubmatch(st); m != nil {
			name, when, event, table, msg := m[1], m[2], m[3], m[4], m[5]
			fn := name + "_refuse"
			out = append(out,
				`CREATE FUNCTION `+fn+`() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE EXCEPTION '`+msg+`'; END $fn$`,
				`CREATE TRIGGER `+name+` `+when+` `+event+` ON `+table+` FOR EACH ROW EXECUTE FUNCTION `+fn+`()`)
			continue
		}
		st = reStrict.ReplaceAllString(st, ")")
		ignore := reOrIgnore.MatchString(st)
		if ignore {
			st = reOrIgnore.ReplaceAllString(st, "INSERT INTO") + " ON CONFLICT DO NOTHING"
		}
		st = outsideLiterals(st, func(s string) string {
			s = translateRowids(s)
			s = reInteger.ReplaceAllString(s, "BIGINT")
			return reBlob.ReplaceAllString(s, "BYTEA")
		})
		if w := reSQLiteOnly.FindString(stripLiterals(st)); w != "" {
			return nil, fmt.Errorf("%q is SQLite's own: give PostgreSQL its statement in a -- dialect postgres block (in %.60q)", w, st)
		}
		out = append(out, st)
	}
	return out, nil
}

// translateRowids makes each INTEGER PRIMARY KEY that references nothing
// an identity column; one that references another table stays a plain
// key (its value is given, the rowid alias never assigns it).
func translateRowids(st string) string {
	var b strings.Builder
	last := 0
	for _, loc := range reRowid.FindAllStringIndex(st, -1) {
		b.WriteString(st[last:loc[0]])
		if reReferences.MatchString(st[loc[1]:]) {
			b.WriteString("BIGINT PRIMARY KEY")
		} else {
			b.WriteString("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
		}
		last = loc[1]
	}
	b.WriteString(st[last:])
	return b.String()
}

// stripLiterals blanks the string literals of st, so that words inside
// them (a CHECK's values, an error message) are not taken for SQL.
func stripLiterals(st string) string {
	b := []byte(st)
	in := false
	for i, c := range b {
		if c == '\'' {
			in = !in
			continue
		}
		if in {
			b[i] = ' '
		}
	}
	return string(b)
}

// outsideLiterals applies f to the parts of st outside string literals:
// a CHECK's values and an error message keep their words.
func outsideLiterals(st string, f func(string) string) string {
	var b strings.Builder
	for i, part := range strings.Split(st, "'") {
		if i%2 == 1 {
			b.WriteString("'" + part + "'")
			continue
		}
		b.WriteString(f(part))
	}
	return b.String()
}
