// Package oauth implements the OAuth 2.0 token sources with which the IMAP
// intake and the SMTP sender log in to mailboxes that no longer take a
// password (Microsoft 365, Google Workspace and Gmail), and the SASL
// mechanisms that carry the token: XOAUTH2 (Google's, which Microsoft also
// speaks) and OAUTHBEARER (RFC 7628).
//
// A Source hands out an access token, fetched from the token endpoint
// (RFC 6749) with one of three flows (client_credentials, refresh_token,
// or a command that prints a token), kept until shortly before it expires,
// and dropped when a server refuses it, so that the next login fetches a
// fresh one. A refresh token that the endpoint rotates is written back to
// its file atomically, mode 0600. Device (RFC 8628) runs the device
// authorization flow once, for `leaguemail oauth login`.
//
// No error, log line or status of this package holds a secret, a refresh
// token or an access token: the texts that come from a token endpoint or a
// command are scrubbed of every secret the Source knows before they leave.
package oauth
