package main

import (
	"strings"
	"testing"

	"github.com/hospital-league/leaguemail/mailin"
)

// TestMailboxHealth: /healthz names a mailbox whose taken mail the server
// refuses to move, though it is connected and taking mail in.
func TestMailboxHealth(t *testing.T) {
	for _, tt := range []struct {
		name string
		st   mailin.Status
		want []string // a part of each problem, in order
	}{
		{"fine", mailin.Status{Mailbox: "m", Connected: true}, nil},
		{"down", mailin.Status{Mailbox: "m", LastError: "dial: refused"}, []string{"imap m: not connected: dial: refused"}},
		{"moves refused", mailin.Status{Mailbox: "m", Connected: true, Unmoved: 7, MoveError: `move 7 messages to "Processed": NO [OVERQUOTA]`},
			[]string{`imap m: 7 mails taken in but not moved out of the mailbox, retried each poll interval: move 7 messages to "Processed": NO [OVERQUOTA]`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, issues := mailboxHealth(tt.st)
			if len(issues) != len(tt.want) {
				t.Fatalf("problems %q, want %q", issues, tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(issues[i], w) {
					t.Errorf("problem %q, want %q", issues[i], w)
				}
			}
			if h.Unmoved != tt.st.Unmoved || h.MoveError != tt.st.MoveError {
				t.Errorf("health %+v does not show the unmoved mail of %+v", h, tt.st)
			}
		})
	}
}
