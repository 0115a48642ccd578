package store

import (
	"encoding/json"
	"time"
)

// Times are stored as fixed-width UTC text, so that they sort and compare
// as strings and stay readable in the sqlite3 shell.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func tstr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func ptime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		// Written by tstr only; a foreign value reads as unknown.
		return time.Time{}
	}
	return t
}

func jstr(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own plain types are encoded here.
		panic("store: json: " + err.Error())
	}
	return string(b)
}

func jstrings(s string) []string {
	var v []string
	json.Unmarshal([]byte(s), &v)
	return v
}

func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
