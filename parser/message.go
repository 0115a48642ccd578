package parser

import (
	"time"
)

// Kind says what a message is to the gateway.
type Kind string

// The kinds of the parse contract.
const (
	KindReport    Kind = "report"
	KindReply     Kind = "reply"
	KindAutoReply Kind = "auto-reply"
	KindBounce    Kind = "bounce"
)

// Layer says whose words an indicator was found in.
type Layer string

const (
	// LayerReport is the reporter's own mail: its text, its attachments.
	LayerReport Layer = "report"
	// LayerEvidence is a mail the reporter forwarded: attached, inline, or in a .msg.
	LayerEvidence Layer = "evidence"
)

// Message is what the parser makes of one raw mail. Its JSON form is the
// parse contract of DESIGN.md, with a few added fields.
type Message struct {
	File      string `json:"file,omitempty"`
	MessageID string `json:"message_id"`
	From      string `json:"from"`
	FromName  string `json:"from_name,omitempty"`
	// FromProblem says why From names no one sender: two From fields,
	// several addresses in one, or an encoded-word (RFC 2047) that hides an
	// address in the display name. Such a mail runs no command.
	FromProblem string    `json:"from_problem,omitempty"`
	To          []string  `json:"to,omitempty"`
	Cc          []string  `json:"cc,omitempty"`
	ReplyTo     string    `json:"reply_to,omitempty"`
	Subject     string    `json:"subject"`
	Date        time.Time `json:"date"`
	// InReplyTo and References thread a reply to the mails we sent.
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`

	Kind Kind `json:"kind"`
	// TicketRef is the ticket number of a `[League #N]` subject tag.
	TicketRef *int64 `json:"ticket_ref"`
	// Tokens are the per-ticket reply tokens found in plus-addresses of the
	// league's address among the recipients (To, Cc, Delivered-To).
	Tokens []string `json:"tokens,omitempty"`
	// Commands are the triage commands at the top of the message, before
	// any quoted text. Whether they may run is for triage to decide.
	Commands []Command `json:"commands"`
	// Note is what the sender wrote below the commands, up to the first
	// quote or signature: a triager's note for the CERT.
	Note string `json:"note,omitempty"`
	// Text is the sender's own new text: the body above any quoted or
	// forwarded part, and above the signature.
	Text string `json:"text,omitempty"`

	Attachments []Attachment `json:"attachments"`
	Indicators  []Indicator  `json:"indicators"`
	// Context holds what is not an indicator but worth keeping: the
	// reporter's own address and domain, links in the reporter's
	// signature, warninglisted values (with the list's name), relays of
	// the Received chain, the shown text of deceptive links.
	Context []Indicator `json:"context,omitempty"`
	// DeceptiveLinks are HTML links whose visible text shows another URL
	// than the link's target: what a phish looks like.
	DeceptiveLinks []DeceptiveLink `json:"deceptive_links,omitempty"`
	// Evidence lists the forwarded mails found, at any depth.
	Evidence []Forwarded `json:"evidence,omitempty"`

	// Bounce is set for kind "bounce": what the DSN says.
	Bounce *Bounce `json:"bounce,omitempty"`
	// NoAnswer says why the gateway must never answer this mail, whatever
	// its kind (DESIGN.md invariant 3): a list, bulk mail, a null sender...
	NoAnswer string `json:"no_answer,omitempty"`
	// AutoReason says why the message was classified auto-reply or bounce.
	AutoReason string `json:"auto_reason,omitempty"`

	// Auth is the raw Authentication-Results headers of the top-level
	// mail, topmost first; triage trusts only its own authserv-id's.
	Auth []string `json:"-"`
	// Header holds the top-level header fields triage needs (Auto-Submitted,
	// Precedence, List-Id, Return-Path...), canonical keys.
	Header map[string][]string `json:"-"`

	// Errors are the reasons the message could not be read in full: a
	// limit reached, a malformed part. A message with errors is still a
	// result: store it and ticket it with the reason.
	Errors []string `json:"errors"`

	notMail bool
}

// Command is one triage command line, "#escalate CERT-FR".
type Command struct {
	Name string   `json:"name"`
	Args []string `json:"args"`
	// Text is the text below a #reply line, to be relayed.
	Text string `json:"text,omitempty"`
	// Line is the line as written, to quote it back in an error.
	Line string `json:"line"`
	// AfterText says that the line came below other words of the sender
	// (a greeting, a sentence): a command from a triager, words from
	// anyone else.
	AfterText bool `json:"after_text,omitempty"`
	// Problem says why a line meant as a command cannot be read as one.
	Problem string `json:"problem,omitempty"`
}

// Attachment is one attached file, at any depth (inside forwarded mails,
// zips and .msg files too).
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	// SniffedType is the media type read from the bytes themselves.
	SniffedType string `json:"sniffed_type,omitempty"`
	Size        int64  `json:"size"`
	MD5         string `json:"md5,omitempty"`
	SHA1        string `json:"sha1,omitempty"`
	SHA256      string `json:"sha256"`
	// Depth is 0 for the reporter's own attachments, 1 for those of a mail
	// forwarded in it, and so on; zip members count one more than their zip.
	Depth int `json:"depth"`
	// Container names the zip or .msg this file was found in.
	Container string `json:"container,omitempty"`
	// Encrypted is set for zip members that could not be read.
	Encrypted bool `json:"encrypted,omitempty"`
}

// Indicator is one indicator with every place it was seen in the message.
type Indicator struct {
	Type    string   `json:"type"`
	Value   string   `json:"value"`
	Sources []string `json:"sources"`
	Layers  []Layer  `json:"layers,omitempty"`
	// Warning names the warninglist that made a value context instead
	// of an indicator ("List of known Office 365 URLs").
	Warning string `json:"warning,omitempty"`
}

// DeceptiveLink is an HTML link that shows one URL and goes to another.
type DeceptiveLink struct {
	Shown  string `json:"shown"`
	Target string `json:"target"`
}

// Forwarded is a mail found inside the report.
type Forwarded struct {
	Depth     int       `json:"depth"`
	How       string    `json:"how"` // rfc822, eml, msg, inline
	MessageID string    `json:"message_id,omitempty"`
	From      string    `json:"from,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Date      time.Time `json:"date,omitzero"`
}

// Bounce is the part of a delivery status notification the gateway uses.
type Bounce struct {
	// Status is the DSN status code, "5.1.1".
	Status string `json:"status,omitempty"`
	// Action is failed, delayed, delivered...
	Action     string   `json:"action,omitempty"`
	Recipients []string `json:"recipients,omitempty"`
	// OriginalMessageID is the Message-ID of the mail that bounced, from
	// the returned headers, to match our outbox.
	OriginalMessageID string `json:"original_message_id,omitempty"`
	Diagnostic        string `json:"diagnostic,omitempty"`
}
