package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// MailData is what a queued mail says: the contract between the package
// that queues it (triage, and the timers of serve) and the one that
// renders and sends it (notify). It is kept as the outbox row's data, as
// JSON; both sides use this one type, so that a field renamed on one side
// is renamed on the other.
type MailData struct {
	Ticket       int64  `json:"ticket"`
	Tag          string `json:"tag"` // "[League #12]"
	Subject      string `json:"subject"`
	Reporter     string `json:"reporter,omitempty"`
	ReporterName string `json:"reporter_name,omitempty"`
	Institution  string `json:"institution,omitempty"`
	Country      string `json:"country,omitempty"`
	// Indicators are the first 100; IndicatorCount counts them all.
	Indicators     []MailIndicator  `json:"indicators"`
	IndicatorCount int              `json:"indicator_count"`
	Attachments    int              `json:"attachments,omitempty"`
	Correlation    *MailCorrelation `json:"correlation,omitempty"`
	// Follows is the closed ticket this one follows.
	Follows int64    `json:"follows,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	// ReplyTo is the recipient's own reply address, with its token.
	ReplyTo string `json:"reply_to,omitempty"`
	// Unauthenticated says that our MTA could not authenticate the
	// reporter's address: the triagers' notice says so.
	Unauthenticated string `json:"unauthenticated,omitempty"`

	Severity string    `json:"severity,omitempty"`
	TLP      string    `json:"tlp,omitempty"`
	Created  time.Time `json:"created,omitzero"`
	// Text is a triager's words (#reply, an escalation's note), or, in a
	// triagers' update, what the mail that caused it says.
	Text string `json:"text,omitempty"`
	// Command and Result are the command lines a confirmation, an error or
	// an update is about, and what came of them.
	Command string `json:"command,omitempty"`
	Result  string `json:"result,omitempty"`
	// RecipientName is whom an escalation or an alert addresses; Area is
	// the area an alert is for.
	RecipientName string `json:"recipient_name,omitempty"`
	Area          string `json:"area,omitempty"`
	// Digest lists the notices a triagers' digest gathers.
	Digest []DigestEntry `json:"digest,omitempty"`
	// Files are attached as they are: machine-readable reports built when
	// the mail was queued (a takedown request's XARF reports).
	Files []MailFile `json:"files,omitempty"`

	// Verdict is what the league concluded of a report (an outcome):
	// malicious, suspicious, benign, spam, duplicate, resolved.
	Verdict string `json:"verdict,omitempty"`
	// Actions are what the league did about it, for the reporter.
	Actions []MailAction `json:"actions,omitempty"`
	// List makes an area alert a list mail (RFC 2369, RFC 8058): its
	// List-Id and the recipient's own ways to leave.
	List *MailList `json:"list,omitempty"`
	// Lookalike is what an impersonation alert is about.
	Lookalike *MailLookalike `json:"lookalike,omitempty"`

	// Words are the reporter's own words (above their quote and
	// signature), cut and defanged: what a triager's notice and an
	// escalation quote of the report. Attached are the report's
	// attachments, as listed (Files above are what the mail carries).
	Words    string           `json:"words,omitempty"`
	Attached []MailAttachment `json:"attached,omitempty"`
	// Lang is the recipient's language (BCP 47, "fr"): the template
	// ack.fr.txt is used for it when there is one.
	Lang string `json:"lang,omitempty"`
}

// MailAttachment is one attachment of a report, as a notice lists it.
type MailAttachment struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Depth is 0 for the reporter's own files, 1 for those of a mail
	// they forwarded, and so on.
	Depth int `json:"depth,omitempty"`
}

// MailLookalike is a domain that imitates one of the recipient's own.
type MailLookalike struct {
	Domain    string    `json:"domain"`   // the lookalike; templates show it defanged
	Imitates  string    `json:"imitates"` // the institution's own domain
	How       string    `json:"how"`      // "one letter changed"
	FirstSeen time.Time `json:"first_seen"`
}

// MailAction is one thing the league did about a ticket: "escalated to
// CERT-FR", "takedown requested from the registrar", "site down".
type MailAction struct {
	What string    `json:"what"`
	At   time.Time `json:"at"`
}

// MailList is what an area alert carries to be left in one click.
type MailList struct {
	// ID is the List-Id (RFC 2919), "alerts.league.example".
	ID string `json:"id"`
	// Mailto is the recipient's unsubscribe address,
	// report+unsubscribe-TOKEN@league.example.
	Mailto string `json:"mailto"`
	// URL is the recipient's one-click unsubscribe link (RFC 8058), ""
	// when the league publishes no HTTP listener.
	URL string `json:"url,omitempty"`
	// Subscribe is the address that brings a contact back.
	Subscribe string `json:"subscribe"`
}

// MailFile is a file a queued mail carries; Data is base64 in the JSON.
type MailFile struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// MailIndicator is an indicator in a mail; templates defang it.
type MailIndicator struct {
	Type     string `json:"type"`
	Value    string `json:"value"`
	Verified bool   `json:"verified,omitempty"`
	// Pending is evidence from a flagged or unauthenticated mail, sent by
	// From: shown to triagers as such, never to anyone else.
	Pending bool     `json:"pending,omitempty"`
	From    []string `json:"from,omitempty"`
}

// MailCorrelation says that indicators of a ticket were seen on other
// reports. A reporter's mail carries no ticket numbers (Tickets empty).
type MailCorrelation struct {
	// Reports is how many other tickets share an indicator with this one;
	// Tickets names them, or the first MaxNamed of them.
	Reports int     `json:"reports"`
	Tickets []int64 `json:"tickets,omitempty"`
	// FirstSeen is when one of the shared indicators was first seen on
	// another ticket.
	FirstSeen  time.Time     `json:"first_seen"`
	Indicators []Correlation `json:"indicators"`
}

// DigestEntry is one notice gathered in a digest.
type DigestEntry struct {
	Ticket     int64     `json:"ticket"`
	Subject    string    `json:"subject"`
	What       string    `json:"what"` // "new report", "update"
	At         time.Time `json:"at"`
	Indicators int       `json:"indicators"`
}

// SetData stores d as m's data.
func (m *OutboxMail) SetData(d MailData) {
	if d.Indicators == nil {
		d.Indicators = []MailIndicator{}
	}
	b, err := json.Marshal(d)
	if err != nil {
		panic("store: mail data: " + err.Error()) // plain data always marshals
	}
	m.Data = b
}

// MailData reads m's data.
func (m OutboxMail) MailData() (MailData, error) {
	var d MailData
	if len(m.Data) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(m.Data, &d); err != nil {
		return d, fmt.Errorf("outbox mail %d: data: %w", m.ID, err)
	}
	return d, nil
}
