package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hospital-league/leaguemail/config"
	"github.com/hospital-league/leaguemail/oauth"
)

// oauthConfig is the [oauth] section as package oauth takes it.
func oauthConfig(c config.OAuth, log *slog.Logger) oauth.Config {
	return oauth.Config{
		Provider: c.Provider, Tenant: c.Tenant, Flow: c.Flow,
		TokenURL: c.TokenURL, DeviceURL: c.DeviceURL, AuthURL: c.AuthURL,
		ClientID: c.ClientID, ClientSecret: c.ClientSecret, ClientSecretFile: c.ClientSecretFile,
		Scope: c.Scope, RefreshTokenFile: c.RefreshTokenFile, Command: c.Command,
		Logger: log,
	}
}

// oauthError turns a mistake package oauth found into one that names the
// config file, line and key.
func oauthError(cfg *config.Config, err error) error {
	var ce *oauth.ConfigError
	if errors.As(err, &ce) {
		return cfg.Errorf("oauth."+ce.Key, "%s", ce.Msg)
	}
	return err
}

// newOAuthSource makes the token source of [oauth], when a login uses it.
func newOAuthSource(cfg *config.Config, log *slog.Logger) (*oauth.Source, error) {
	if !cfg.UsesOAuth() {
		return nil, nil
	}
	src, err := oauth.New(oauthConfig(cfg.OAuth, log))
	if err != nil {
		return nil, oauthError(cfg, err)
	}
	return src, nil
}

// runOAuth is `leaguemail oauth login`: the sign-in that writes [oauth]
// refresh_token_file, by device code (RFC 8628), or in a browser for
// Google, whose device flow refuses the Gmail scope.
func runOAuth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runOAuthWith(ctx, args, os.Stdin, stdout, stderr)
}

func runOAuthWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "login" {
		return fmt.Errorf("%w: want oauth login --provider google|microsoft [--config F]", errUsage)
	}
	fs := flag.NewFlagSet("oauth login", flag.ContinueOnError)
	var so storeOptions
	so.register(fs)
	provider := fs.String("provider", "", "google or microsoft (default: [oauth] provider)")
	tenant := fs.String("tenant", "", "Microsoft tenant: your domain or the directory's GUID (default: [oauth] tenant)")
	clientID := fs.String("client-id", "", "the app's client ID (default: [oauth] client_id)")
	file := fs.String("refresh-token-file", "", "where to write the refresh token (default: [oauth] refresh_token_file)")
	method := fs.String("method", "", "device (a code to enter on any device) or browser (default: browser for google, device otherwise)")
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	cfg, err := so.load()
	if err != nil {
		return err
	}
	c := oauthConfig(cfg.OAuth, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, o := range []struct {
		flag string
		dst  *string
	}{{*provider, &c.Provider}, {*tenant, &c.Tenant}, {*clientID, &c.ClientID}, {*file, &c.RefreshTokenFile}} {
		if o.flag != "" {
			*o.dst = o.flag
		}
	}
	if c.Provider != oauth.Google && c.Provider != oauth.Microsoft && c.DeviceURL == "" && c.AuthURL == "" {
		return fmt.Errorf("%w: --provider google or microsoft (or [oauth] token_url with device_url or auth_url)", errUsage)
	}
	m := *method
	if m == "" {
		m = "device"
		if c.Provider == oauth.Google || c.DeviceURL == "" {
			m = "browser"
		}
	}
	if m != "device" && m != "browser" {
		return fmt.Errorf("%w: --method %q: want device or browser", errUsage, m)
	}
	if c.Provider != cfg.OAuth.Provider {
		// The config's scope was chosen for the other provider.
		c.Scope = ""
	}
	if c.Flow != "" && c.Flow != oauth.FlowRefreshToken {
		return cfg.Errorf("oauth.flow", "%q: oauth login writes a refresh token, for flow = \"refresh_token\"", c.Flow)
	}
	if m == "browser" {
		return oauthError(cfg, oauth.Browser(ctx, c, stdin, stdout))
	}
	return oauthError(cfg, oauth.Device(ctx, c, stdout))
}

// registerOAuthMetrics exports the token source's state: how many tokens
// were fetched, whether the last fetch failed, and when the token in hand
// expires; never the token.
func registerOAuthMetrics(reg prometheus.Registerer, src *oauth.Source) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "leaguemail_oauth_token_fetches_total",
			Help: "Requests for an access token (to the token endpoint, or runs of the token command).",
		}, func() float64 { return float64(src.Status().Fetches) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "leaguemail_oauth_failing",
			Help: "1 while no access token can be had (the endpoint refuses or does not answer), else 0.",
		}, func() float64 {
			if src.Status().LastError != "" {
				return 1
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "leaguemail_oauth_token_expiry_timestamp_seconds",
			Help: "When the access token in hand expires (Unix time); 0 when none is held or its lifetime is unknown.",
		}, func() float64 {
			if e := src.Status().Expiry; !e.IsZero() {
				return float64(e.Unix())
			}
			return 0
		}),
	)
}
