package e2etest

import (
	"encoding/json"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// Outbox reads the outbox through `leaguemail outbox list --json`.
func (e *Env) Outbox() []store.OutboxMail {
	e.T.Helper()
	var ms []store.OutboxMail
	out := e.Run("outbox", "list", "--json")
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		e.T.Fatalf("outbox list --json: %v\n%s", err, out)
	}
	return ms
}

// LogLines returns the lines of the gateway's log that contain every one
// of parts.
func (g *Gateway) LogLines(parts ...string) []string {
	var out []string
next:
	for _, l := range strings.Split(g.Log(), "\n") {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}
