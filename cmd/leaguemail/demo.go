package main

import (
	"context"
	"fmt"
	"io"
)

// runDemo will run the whole gateway on embedded servers; until the serve
// issue lands it says so and exits 0.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout, "leaguemail demo: not yet: the gateway's serve loop is still being built.")
	fmt.Fprintln(stdout, "Try the parser meanwhile: go run ./cmd/leaguemail parse parser/testdata/*.eml")
	return nil
}
