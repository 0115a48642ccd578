package templates

import (
	"fmt"
	"strings"
	"time"
)

// funcs are the functions every template may call, text and HTML alike.
var funcs = map[string]any{
	// date writes a time as a UTC day, 2026-11-23.
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "an unknown date"
		}
		return t.UTC().Format("2006-01-02")
	},
	// datetime writes a time in RFC 3339, UTC.
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// plural picks one or many by n.
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
	// tickets writes ticket numbers as "#4, #7 and 3 more" (at most ten);
	// a count after them says how many there are when ns names only the
	// first (store.MaxNamed).
	"tickets": func(ns []int64, count ...int) string {
		total := len(ns)
		if len(count) > 0 && count[0] > total {
			total = count[0]
		}
		shown := min(len(ns), 10)
		var b strings.Builder
		for i, n := range ns[:shown] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "#%d", n)
		}
		if total > shown {
			fmt.Fprintf(&b, " and %d more", total-shown)
		}
		return b.String()
	},
	"upper": strings.ToUpper,
	// longdate writes a day as a reader of lang writes it: "23 November
	// 2026", "23 novembre 2026" (UTC).
	"longdate": longDate,
	// size writes a file size as people read it: 812 bytes, 14.2 KiB.
	"size": func(n int64) string {
		switch {
		case n < 1024:
			return fmt.Sprintf("%d bytes", n)
		case n < 1<<20:
			return fmt.Sprintf("%.1f KiB", float64(n)/1024)
		}
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	},
}

var monthNames = map[string][12]string{
	"fr": {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	"de": {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
	"es": {"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
	"it": {"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
	"nl": {"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
	"pt": {"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"},
}

func longDate(lang string, t time.Time) string {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if t.IsZero() {
		if base == "fr" {
			return "(date inconnue)"
		}
		return "an unknown date"
	}
	t = t.UTC()
	names, ok := monthNames[base]
	if !ok {
		return t.Format("2 January 2006")
	}
	if base == "es" || base == "pt" {
		return fmt.Sprintf("%d de %s de %d", t.Day(), names[t.Month()-1], t.Year())
	}
	return fmt.Sprintf("%d %s %d", t.Day(), names[t.Month()-1], t.Year())
}
