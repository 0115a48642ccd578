package oauth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// readRefreshToken reads the refresh token file: the token alone, on its
// first line.
func readRefreshToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s does not exist: run leaguemail oauth login to write it", path)
	}
	if err != nil {
		return "", errors.New(unwrapPath(err))
	}
	tok, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", fmt.Errorf("%s is empty: run leaguemail oauth login to write it", path)
	}
	return tok, nil
}

// writeRefreshToken replaces the file with token, atomically: a temporary
// file of mode 0600 in the same folder, synced, renamed over the old one,
// and the folder synced, so that a crash leaves the old token or the new
// one, never half of either, and no other user ever reads it.
func writeRefreshToken(path, token string) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*") // mode 0600
	if err != nil {
		return fmt.Errorf("write refresh token: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("write refresh token: %w", err)
	}
	if _, err := f.WriteString(token + "\n"); err != nil {
		return fmt.Errorf("write refresh token: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write refresh token: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write refresh token: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write refresh token: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
