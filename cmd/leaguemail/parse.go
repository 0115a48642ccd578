package main

import (
	"context"
	"fmt"
	"io"
)

func runParse(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("not implemented")
}
