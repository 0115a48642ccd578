package oauth

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// Mechanism is how a mailbox is logged in to: the [imap] auth and [smtp]
// auth keys.
type Mechanism string

const (
	// Password is the user name and password of the url (the default).
	Password Mechanism = "password"
	// XOAUTH2 is Google's SASL mechanism for bearer tokens, which Microsoft
	// 365 speaks too.
	XOAUTH2 Mechanism = "xoauth2"
	// OAuthBearer is RFC 7628's.
	OAuthBearer Mechanism = "oauthbearer"
)

// ParseMechanism reads an auth key; "" is Password.
func ParseMechanism(s string) (Mechanism, error) {
	switch m := Mechanism(strings.ToLower(s)); m {
	case "", Password:
		return Password, nil
	case XOAUTH2, OAuthBearer:
		return m, nil
	}
	return "", fmt.Errorf("%q: want password, xoauth2 or oauthbearer", s)
}

// OAuth says whether the mechanism needs a token.
func (m Mechanism) OAuth() bool { return m == XOAUTH2 || m == OAuthBearer }

// SASLName is the mechanism's name in AUTH= capabilities and AUTH commands.
func (m Mechanism) SASLName() string {
	switch m {
	case XOAUTH2:
		return "XOAUTH2"
	case OAuthBearer:
		return sasl.OAuthBearer
	}
	return "PLAIN"
}

// NewClient returns the SASL client that logs user in with token. host
// and port go into OAUTHBEARER's message (RFC 7628 section 3.1).
//
// Both answer a server's error challenge as the mechanisms say (RFC 7628
// section 3.2.3: a single %x01; XOAUTH2: an empty response), so that the
// server ends the exchange with its failure reply. go-sasl's OAUTHBEARER
// client returns an error there instead, and go-imap then leaves the
// AUTHENTICATE command waiting for a reply that never comes.
func NewClient(m Mechanism, user, token, host string, port int) *Client {
	return &Client{mech: m, user: user, token: token, host: host, port: port}
}

// Client is a XOAUTH2 or OAUTHBEARER client; after a failed exchange,
// Refusal holds what the server's error challenge said.
type Client struct {
	mech        Mechanism
	user, token string
	host        string
	port        int
	// Refusal is the status of the server's JSON error challenge
	// ("invalid_token"), when it sent one.
	Refusal string
}

// Start implements sasl.Client.
func (c *Client) Start() (string, []byte, error) {
	switch c.mech {
	case XOAUTH2:
		// https://developers.google.com/gmail/imap/xoauth2-protocol
		return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
	case OAuthBearer:
		return sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: c.user, Token: c.token, Host: c.host, Port: c.port}).Start()
	}
	return "", nil, fmt.Errorf("sasl: %q is not an OAuth mechanism", c.mech)
}

// Next implements sasl.Client: any challenge is the server's error.
func (c *Client) Next(challenge []byte) ([]byte, error) {
	var e struct {
		Status string `json:"status"`
	}
	switch err := json.Unmarshal(challenge, &e); {
	case err != nil:
		c.Refusal = "an error challenge that is not JSON"
	case oneLine(e.Status, 100) == "":
		// RFC 7628 section 3.2.2 makes status required; a blank one
		// says nothing, and the log must still say something.
		c.Refusal = "an error challenge with no status"
	default:
		c.Refusal = oneLine(e.Status, 100)
	}
	if c.mech == OAuthBearer {
		return []byte{0x01}, nil
	}
	return []byte{}, nil
}

var _ sasl.Client = (*Client)(nil)
