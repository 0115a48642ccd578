package store

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Origin says where a mail was read: an IMAP mailbox, its UIDVALIDITY and
// the mail's UID; or, for files, Mailbox "file:PATH" and the mail's ordinal
// in that file (mbox) or 0.
type Origin struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// IsFile reports whether the origin is a file rather than an IMAP mailbox.
// Files can change under the same name, so only IMAP origins identify a
// mail by themselves.
func (o Origin) IsFile() bool { return strings.HasPrefix(o.Mailbox, "file:") }

// Mail is one mail taken in, with its parse result.
type Mail struct {
	ID         int64     `json:"id"`
	SHA256     string    `json:"sha256"`
	Size       int64     `json:"size"`
	MessageID  string    `json:"message_id"`
	From       string    `json:"from"`
	Subject    string    `json:"subject"`
	Date       time.Time `json:"date,omitzero"`
	ReceivedAt time.Time `json:"received_at"`
	Kind       string    `json:"kind"`
	// Parse is the parser's result as JSON.
	Parse  json.RawMessage `json:"-"`
	Errors []string        `json:"errors,omitempty"`
	// Disposition says what triage made of the mail: opened, appended,
	// flagged, bounce, auto-reply, duplicate...
	Disposition string `json:"disposition"`
}

// State is a ticket's state.
type State string

// The ticket states.
const (
	StateNew       State = "new"
	StateTriaged   State = "triaged"
	StateEscalated State = "escalated"
	StateClosed    State = "closed"
	StateRejected  State = "rejected"
)

// Open reports whether a ticket in state s is still being worked.
func (s State) Open() bool { return s != StateClosed && s != StateRejected }

// Ticket is one report and everything that followed it.
type Ticket struct {
	Number       int64  `json:"number"`
	State        State  `json:"state"`
	Subject      string `json:"subject"`
	Reporter     string `json:"reporter"`
	ReporterName string `json:"reporter_name,omitempty"`
	// Institution is the contact matched from the reporter's domain.
	Institution *Contact `json:"institution,omitempty"`
	// OpenedBy is the mail that opened the ticket.
	OpenedBy int64 `json:"opened_by,omitempty"`
	// Follows is the closed ticket a reply to which opened this one.
	Follows   int64     `json:"follows,omitempty"`
	Flagged   bool      `json:"flagged"`
	Severity  string    `json:"severity,omitempty"`
	TLP       string    `json:"tlp"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
}

// Participant is someone who may write to a ticket without being flagged.
type Participant struct {
	Email   string    `json:"email"`
	Role    string    `json:"role"`
	AddedAt time.Time `json:"added_at"`
}

// TicketMail puts an incoming mail on a ticket.
type TicketMail struct {
	Mail   int64  `json:"mail"`
	Ticket int64  `json:"ticket"`
	Role   string `json:"role"` // report, reply, bounce, auto-reply, duplicate, own
	// MatchedBy says how a reply was threaded: token, in-reply-to,
	// references, subject-tag...
	MatchedBy string `json:"matched_by,omitempty"`
	Flagged   bool   `json:"flagged"`
}

// Event is one entry of a ticket's audit log: who did what, when, from
// which mail.
type Event struct {
	ID     int64     `json:"id"`
	Ticket int64     `json:"ticket"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Kind   string    `json:"kind"`
	Mail   int64     `json:"mail,omitempty"`
	Detail string    `json:"detail"`
	// Data is machine-readable detail, a JSON object.
	Data json.RawMessage `json:"data,omitempty"`
}

// Sighting is one indicator seen on a ticket in one mail.
type Sighting struct {
	Type    string
	Value   string
	Layer   string
	Sources []string
	// Pending marks evidence from a flagged or unauthenticated mail
	// (DESIGN.md invariant 7): kept and shown to triagers, but left out of
	// verification, escalations, alerts, feeds and correlation until a
	// triager accepts it. From is who sent it.
	Pending bool
	From    string
}

// TicketIndicator is an indicator of a ticket, with where it was seen.
type TicketIndicator struct {
	Type    string   `json:"type"`
	Value   string   `json:"value"`
	Layers  []string `json:"layers"`
	Sources []string `json:"sources"`
	// Verified says that a triager vouched for it on this ticket.
	Verified bool `json:"verified"`
	// Pending says that every sighting of it on this ticket is pending
	// evidence, sent by PendingFrom.
	Pending     bool      `json:"pending,omitempty"`
	PendingFrom []string  `json:"pending_from,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Count       int       `json:"count"`
}

// Correlation says that an indicator of a ticket was seen on others.
type Correlation struct {
	Type  string `json:"type"`
	Value string `json:"value"`
	// Tickets are the others, in order: all of them, or the MaxNamed
	// lowest-numbered in a new ticket's Correlation.
	Tickets []int64 `json:"tickets"`
	// Others counts them all.
	Others int `json:"others"`
	// FirstSeen is the first time it was seen on one of the others.
	FirstSeen time.Time `json:"first_seen"`
}

// Contact is a CERT, an institution, a triager, an abuse desk or a law
// enforcement agency.
type Contact struct {
	ID      int64  `json:"id"`
	Kind    string `json:"kind"` // cert, institution, triager, abuse, le
	Name    string `json:"name"`
	Email   string `json:"email"`
	Domain  string `json:"domain"`
	Country string `json:"country,omitempty"`
	Region  string `json:"region,omitempty"`
	// Sector is an institution's sector ("health"), lower case: TAXII
	// keys may be scoped to one (issue 22).
	Sector string `json:"sector,omitempty"`
	// Unsubscribed says that an institution left the area alerts (by mail,
	// the one-click link, or the contacts file): it stays a contact.
	Unsubscribed bool `json:"unsubscribed,omitempty"`
	// Covers is what an abuse desk answers for, winning over RDAP:
	// space-separated domains, CIDRs and AS numbers ("AS64500").
	Covers string `json:"covers,omitempty"`
}

// OutboxState is the state of a queued mail.
type OutboxState string

// The outbox states.
const (
	OutboxQueued     OutboxState = "queued"
	OutboxSent       OutboxState = "sent"
	OutboxFailed     OutboxState = "failed"
	OutboxSuppressed OutboxState = "suppressed"
)

// The outbox kinds.
const (
	KindAck            = "ack"
	KindTriagerNotice  = "triager-notice"
	KindEscalation     = "escalation"
	KindAlert          = "alert"
	KindReply          = "reply"
	KindCommandConfirm = "command-confirm"
	KindCommandError   = "command-error"
	// KindTriagerUpdate tells the triagers of something on an existing
	// ticket: an answer, commands that did not run, an expired token.
	KindTriagerUpdate = "triager-update"
	// KindTriagerDigest gathers the notices a triager would have had while
	// the budget of automatic mail was spent.
	KindTriagerDigest = "triager-digest"
	// KindReminder tells triagers that a ticket reached a response or
	// resolve target, or that its wait ended (package sla).
	KindReminder = "reminder"
	// KindDailyDigest is a triager's daily digest of the open tickets.
	KindDailyDigest = "daily-digest"
	// KindOutcome tells a reporter what became of their report (#close,
	// #reject), or, later, that the site they reported is down.
	KindOutcome = "outcome"
	// KindMembership answers a request to join (welcome, denied) and
	// confirms leaving or rejoining the area alerts.
	KindMembership = "membership"
	// KindImpersonation tells an institution that a verified indicator
	// imitates one of its own domains.
	KindImpersonation = "impersonation"
)

// Kinds are the kinds of mail the outbox takes.
var Kinds = []string{KindAck, KindTriagerNotice, KindEscalation, KindAlert, KindReply,
	KindCommandConfirm, KindCommandError, KindTriagerUpdate, KindTriagerDigest,
	KindTakedown, KindTakedownNews, // takedown.go
	KindReminder, KindDailyDigest, // package sla
	KindOutcome, KindMembership, KindImpersonation} // issue 15

// Automatic reports whether mail of kind is automatic, counted against
// the budget of automatic mail: what the gateway sends of itself, not
// what a triager's command sent.
func Automatic(kind string) bool {
	switch kind {
	case KindEscalation, KindAlert, KindReply, KindTakedown, KindOutcome:
		return false
	}
	return slices.Contains(Kinds, kind)
}

// OutboxMail is a mail the gateway will send (or did, or will not).
type OutboxMail struct {
	ID         int64    `json:"id"`
	Ticket     int64    `json:"ticket,omitempty"`
	Kind       string   `json:"kind"`
	Recipients []string `json:"recipients"`
	From       string   `json:"from"`
	ReplyTo    string   `json:"reply_to,omitempty"`
	// MessageID is the Message-ID the mail is sent with, angle brackets
	// included; replies and bounces are matched to it.
	MessageID  string   `json:"message_id"`
	InReplyTo  string   `json:"in_reply_to,omitempty"`
	References []string `json:"references,omitempty"`
	Subject    string   `json:"subject"`
	// Template names the text notify renders, with Data.
	Template      string          `json:"template"`
	Data          json.RawMessage `json:"data"`
	State         OutboxState     `json:"state"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at,omitzero"`
	LastError     string          `json:"last_error,omitempty"`
	DSNStatus     string          `json:"dsn_status,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	SentAt        time.Time       `json:"sent_at,omitzero"`
	// Cause is the mail whose taking-in queued this one.
	Cause int64 `json:"cause,omitempty"`
}
