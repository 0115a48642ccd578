package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/store"
)

// storeOptions are the flags of every command that reads the config and
// opens the store: --config (DESIGN.md: ./leaguemail.toml by default, and
// none at all is valid) and --db, which overrides [store] path.
type storeOptions struct {
	config string
	db     string
}

func (o *storeOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.config, "config", "", "the config `file` (default ./leaguemail.toml when it exists)")
	fs.StringVar(&o.db, "db", "", "the store's `file`, overriding [store] path (env LEAGUEMAIL_STORE_PATH)")
}

// load reads the config: the file given, else ./leaguemail.toml when it
// exists, and the LEAGUEMAIL_* environment.
func (o *storeOptions) load() (*config.Config, error) {
	path, must := o.config, o.config != ""
	if !must {
		path = config.DefaultPath
	}
	cfg, err := config.Load(path, must, os.Environ())
	if err != nil {
		return nil, err
	}
	if o.db != "" {
		if store.IsPostgres(o.db) {
			cfg.Store.URL, cfg.Store.Path = o.db, ""
		} else {
			cfg.Store.Path, cfg.Store.URL = o.db, ""
		}
	}
	cfg.Defaults()
	return cfg, nil
}

func (o *storeOptions) open(ctx context.Context) (*store.Store, error) {
	cfg, err := o.load()
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w; check --db or [store] path or url", err)
	}
	return st, nil
}

// openStore opens the store the config names: its SQLite file, or its
// PostgreSQL database.
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	where, err := cfg.Store.Where()
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, where)
}

// parseArgs parses flags given before, between or after the positional
// arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
