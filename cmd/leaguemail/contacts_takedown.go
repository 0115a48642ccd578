package main

import (
	"errors"
	"fmt"

	"github.com/hospital-league/leaguemail/store"
	"github.com/hospital-league/leaguemail/takedown"
)

// checkCovers checks the column covers (issue 14): only an abuse contact
// covers anything, and it must say what; a law enforcement contact is
// routed by country like a CERT.
func checkCovers(c store.Contact) error {
	switch {
	case c.Kind == "abuse" && c.Covers == "":
		return errors.New("an abuse contact needs covers: the domains, CIDR ranges or AS numbers it takes down (like \"hoster.example 192.0.2.0/24 AS64500\")")
	case c.Kind != "abuse" && c.Kind != "institution" && c.Covers != "":
		// An institution's covers are its own domains, which the
		// impersonation watch compares with (issue 15).
		return fmt.Errorf("covers is for abuse contacts and institutions, not a %s", c.Kind)
	case c.Kind == "le" && c.Country == "":
		return errors.New("a law enforcement contact needs a country")
	}
	if _, err := takedown.ParseCovers(c.Covers); err != nil {
		return err
	}
	return nil
}
