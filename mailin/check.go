package mailin

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// Check connects, logs in and examines the mailbox read-only, then logs
// out: `leaguemail check-config` uses it to say whether the [imap]
// settings work. It changes nothing on the server, not even \Seen.
func (in *Intake) Check(ctx context.Context) (messages uint32, err error) {
	c, err := in.dial(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	data, err := c.Select(in.acct.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return 0, fmt.Errorf("imap: examine %q: %w", in.acct.Mailbox, err)
	}
	if err := c.Logout().Wait(); err != nil {
		return data.NumMessages, fmt.Errorf("imap: logout: %w", err)
	}
	return data.NumMessages, nil
}
