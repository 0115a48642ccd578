package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// The flows a Config may name.
const (
	FlowClientCredentials = "client_credentials" // RFC 6749 section 4.4
	FlowRefreshToken      = "refresh_token"      // RFC 6749 section 6
	FlowCommand           = "command"            // a program prints the token
)

// Config says where tokens come from: the [oauth] section.
type Config struct {
	// Provider fills in TokenURL, DeviceURL and Scope: "microsoft" (with
	// Tenant) or "google". Set fields win over the provider's.
	Provider, Tenant string
	// Flow is client_credentials, refresh_token or command.
	Flow string
	// TokenURL is the token endpoint; DeviceURL the device authorization
	// endpoint, for Device only; AuthURL the authorization endpoint, for
	// Browser only.
	TokenURL, DeviceURL, AuthURL string
	// ClientID and ClientSecret identify the app registered with the
	// provider; ClientSecretFile holds the secret instead.
	ClientID, ClientSecret, ClientSecretFile string
	// Scope is the space-separated list of scopes asked for.
	Scope string
	// RefreshTokenFile holds the refresh token (refresh_token flow); a
	// rotated one is written back to it.
	RefreshTokenFile string
	// Command is run by /bin/sh and prints an access token, or a JSON
	// token response (RFC 6749 section 5.1), on its standard output.
	Command string
	// Timeout bounds one request to the endpoint, or one run of Command
	// (30 seconds when zero).
	Timeout time.Duration
	// HTTPClient makes the requests (one with Timeout when nil).
	HTTPClient *http.Client
	// Logger receives the source's logs (slog.Default when nil).
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// ConfigError is a mistake in one key of the Config; Key is the [oauth]
// key's name, for the caller to say where it stands.
type ConfigError struct {
	Key string
	Msg string
}

func (e *ConfigError) Error() string { return "[oauth] " + e.Key + ": " + e.Msg }

// resolved is a checked Config with the provider's values filled in.
type resolved struct {
	Config
	scopes []string
	secret string
}

// resolve checks c and fills in what the provider implies.
func (c Config) resolve() (*resolved, error) {
	ep, err := ProviderEndpoints(c.Provider, c.Tenant)
	if err != nil {
		return nil, err
	}
	if c.Tenant != "" && c.Provider != Microsoft {
		return nil, &ConfigError{Key: "tenant", Msg: `only provider "microsoft" has a tenant`}
	}
	if c.TokenURL == "" {
		c.TokenURL = ep.TokenURL
	}
	if c.DeviceURL == "" {
		c.DeviceURL = ep.DeviceURL
	}
	if c.AuthURL == "" {
		c.AuthURL = ep.AuthURL
	}
	if c.Scope == "" {
		c.Scope = defaultScope(c.Provider, c.Flow)
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: c.Timeout}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	r := &resolved{Config: c, scopes: strings.Fields(c.Scope)}
	switch c.Flow {
	case FlowClientCredentials, FlowRefreshToken:
		if err := checkEndpoint("token_url", c.TokenURL); err != nil {
			return nil, err
		}
		if c.ClientID == "" {
			return nil, &ConfigError{Key: "client_id", Msg: "missing: the application (client) ID the provider gave when the app was registered"}
		}
		if r.secret, err = c.readSecret(); err != nil {
			return nil, err
		}
		if c.Flow == FlowClientCredentials && r.secret == "" {
			return nil, &ConfigError{Key: "client_secret", Msg: "missing: client_credentials needs client_secret or client_secret_file"}
		}
		if c.Flow == FlowClientCredentials && c.Scope == "" {
			return nil, &ConfigError{Key: "scope", Msg: `missing: client_credentials needs a scope (Microsoft 365: "` + MicrosoftAppScope + `")`}
		}
		if c.Flow == FlowRefreshToken && c.RefreshTokenFile == "" {
			return nil, &ConfigError{Key: "refresh_token_file", Msg: "missing: the file that holds the refresh token (leaguemail oauth login writes it)"}
		}
		if c.Command != "" {
			return nil, &ConfigError{Key: "command", Msg: "only flow = \"command\" runs a command"}
		}
	case FlowCommand:
		if strings.TrimSpace(c.Command) == "" {
			return nil, &ConfigError{Key: "command", Msg: "missing: a program that prints an access token"}
		}
	case "":
		return nil, &ConfigError{Key: "flow", Msg: "missing: want client_credentials, refresh_token or command"}
	default:
		return nil, &ConfigError{Key: "flow", Msg: fmt.Sprintf("%q: want client_credentials, refresh_token or command", c.Flow)}
	}
	return r, nil
}

func (c Config) readSecret() (string, error) {
	if c.ClientSecret != "" && c.ClientSecretFile != "" {
		return "", &ConfigError{Key: "client_secret_file", Msg: "set client_secret or client_secret_file, not both"}
	}
	if c.ClientSecretFile == "" {
		return c.ClientSecret, nil
	}
	b, err := os.ReadFile(c.ClientSecretFile)
	if err != nil {
		return "", &ConfigError{Key: "client_secret_file", Msg: unwrapPath(err)}
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", &ConfigError{Key: "client_secret_file", Msg: c.ClientSecretFile + " is empty"}
	}
	return s, nil
}

// checkEndpoint wants an https URL, or http to a loopback host (tests, a
// local token broker).
func checkEndpoint(key, raw string) error {
	if raw == "" {
		return &ConfigError{Key: key, Msg: `missing: set it, or set provider = "microsoft" or "google"`}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return &ConfigError{Key: key, Msg: fmt.Sprintf("%q is not a URL like https://login.example/token", raw)}
	}
	if u.User != nil {
		return &ConfigError{Key: key, Msg: "a URL with a user name or password in it: put the client's credentials in client_id and client_secret"}
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && loopback(u.Hostname()):
	default:
		return &ConfigError{Key: key, Msg: fmt.Sprintf("%q: want https:// (http:// only to a loopback host)", raw)}
	}
	return nil
}

func unwrapPath(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}
