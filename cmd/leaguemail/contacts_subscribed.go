package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/hospital-league/leaguemail/store"
)

// The contacts file's optional column subscribed (issue 15): yes or no,
// for institutions, whether they receive the area alerts. A row without
// it keeps the contact's subscription as it is, so that a re-import never
// brings back a hospital that left the alerts by mail.

// subscribedOf reads a row's subscribed column: "yes", "no" or "".
func subscribedOf(rec []string, cols map[string]int, kind string) (string, error) {
	i, ok := cols["subscribed"]
	if !ok || i >= len(rec) {
		return "", nil
	}
	v := strings.ToLower(strings.TrimSpace(rec[i]))
	switch v {
	case "":
		return "", nil
	case "yes", "y", "true", "1":
		v = "yes"
	case "no", "n", "false", "0":
		v = "no"
	default:
		return "", fmt.Errorf("subscribed %q: want yes or no", rec[i])
	}
	if kind != "institution" {
		return "", fmt.Errorf("a %s has no subscription: only institutions receive area alerts", kind)
	}
	return v, nil
}

// setSubscribed applies a row's subscribed column.
func setSubscribed(ctx context.Context, tx *store.Tx, r contactRow) error {
	cs, err := tx.ContactsByEmail(ctx, r.Email)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Kind == r.Kind {
			_, err := tx.SetSubscribed(ctx, c.ID, r.subscribed == "yes")
			return err
		}
	}
	return nil
}

// subscription is what contacts list shows of a contact's subscription.
func subscription(c store.Contact) string {
	switch {
	case c.Kind != "institution":
		return "-"
	case c.Unsubscribed:
		return "no"
	}
	return "yes"
}
