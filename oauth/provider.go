package oauth

import (
	"fmt"
	"net/url"
	"strings"
)

// Endpoints are a provider's OAuth 2.0 URLs.
type Endpoints struct {
	TokenURL  string // RFC 6749 section 3.2
	DeviceURL string // RFC 8628 section 3.1 (device authorization)
	AuthURL   string // RFC 6749 section 3.1 (authorization, in a browser)
}

// Provider shortcuts: what `provider = "microsoft"` or "google" fills in.
const (
	Microsoft = "microsoft"
	Google    = "google"
)

// Scopes a provider's mailboxes need, by flow.
const (
	// MicrosoftAppScope is app-only access (client_credentials) to every
	// mailbox the app was granted in Exchange Online: the permissions
	// IMAP.AccessAsApp and SMTP.SendAsApp, asked for as ".default".
	MicrosoftAppScope = "https://outlook.office365.com/.default"
	// MicrosoftUserScope is delegated access to the signed-in user's
	// mailbox; offline_access makes the endpoint hand out a refresh token.
	MicrosoftUserScope = "https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send offline_access"
	// GoogleScope is the only scope Gmail's IMAP and SMTP accept.
	GoogleScope = "https://mail.google.com/"
)

// ProviderEndpoints returns the endpoints of a provider. Microsoft's are
// per tenant (a domain or the directory's GUID); "organizations" serves
// any work account.
func ProviderEndpoints(provider, tenant string) (Endpoints, error) {
	switch provider {
	case Microsoft:
		if tenant == "" {
			return Endpoints{}, &ConfigError{Key: "tenant", Msg: `missing: provider "microsoft" needs the tenant (your domain, like league.example, or the directory's GUID)`}
		}
		if strings.ContainsAny(tenant, "/?#@: ") {
			return Endpoints{}, &ConfigError{Key: "tenant", Msg: fmt.Sprintf("%q is not a tenant: want a domain or a GUID", tenant)}
		}
		base := "https://login.microsoftonline.com/" + url.PathEscape(tenant) + "/oauth2/v2.0/"
		return Endpoints{TokenURL: base + "token", DeviceURL: base + "devicecode", AuthURL: base + "authorize"}, nil
	case Google:
		return Endpoints{TokenURL: "https://oauth2.googleapis.com/token", DeviceURL: "https://oauth2.googleapis.com/device/code",
			AuthURL: "https://accounts.google.com/o/oauth2/v2/auth"}, nil
	case "":
		return Endpoints{}, nil
	}
	return Endpoints{}, &ConfigError{Key: "provider", Msg: fmt.Sprintf("%q: want microsoft or google (or leave it out and set token_url)", provider)}
}

// defaultScope is the scope a provider's flow needs when none is set.
func defaultScope(provider, flow string) string {
	switch {
	case provider == Microsoft && flow == FlowClientCredentials:
		return MicrosoftAppScope
	case provider == Microsoft:
		return MicrosoftUserScope
	case provider == Google:
		return GoogleScope
	}
	return ""
}
