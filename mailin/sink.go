package mailin

import "context"

// Origin says where a raw mail came from.
type Origin struct {
	Mailbox     string // a stable name of the configured mailbox, e.g. "imap://report@host/INBOX"
	UIDValidity uint32
	UID         uint32
}

// Sink takes mail in. The store implements it.
type Sink interface {
	// Checkpoint returns the UIDVALIDITY and the highest UID taken in for the
	// mailbox (0, 0 when none).
	Checkpoint(ctx context.Context, mailbox string) (uidValidity, lastUID uint32, err error)
	// Take commits the raw mail and everything it causes, and advances the
	// mailbox's checkpoint, in one transaction. It is idempotent: the same
	// Origin, or the same Message-ID with the same bytes, taken again changes
	// nothing and returns nil. A returned error means nothing was committed;
	// a *RejectError (errors.As) means the mail can never be taken in (it is
	// moved to the Failed folder); any other error is temporary (store down,
	// disk full): the mail is left in place and retried later.
	Take(ctx context.Context, raw []byte, origin Origin) error
	// Taken returns those of uids (UIDs of the mailbox under uidValidity)
	// that Take committed a mail from. The intake files mail below the
	// checkpoint as processed only when Taken says so: a UID the server
	// gave no body for is passed by the checkpoint but never taken.
	Taken(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) ([]uint32, error)

	// Hold durably records that uids are in the intake's hands, before
	// they are taken (one call for a group); Release, once they are taken,
	// rejected or filed. Recover is called once per mailbox when the
	// intake starts: the UIDs it finds still held were in hand when the
	// process died, and count one more crash in a row; it returns every
	// UID with crashes in a row, which the intake then takes one at a
	// time, so that the mail that kills the process is found alone.
	Hold(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error
	Release(ctx context.Context, mailbox string, uidValidity uint32, uids []uint32) error
	Recover(ctx context.Context, mailbox string, uidValidity uint32) (crashes map[uint32]int, err error)
	// Poison takes in, without parsing it, a mail that was in hand at
	// PoisonCrashes crashes in a row: raw is stored (nil when fetching
	// it was what killed the process) and a ticket opened saying why
	// (reason). Like Take, it records the origin, and is idempotent.
	Poison(ctx context.Context, raw []byte, origin Origin, reason string) error
}

// PoisonCrashes is how many deaths in a row with a mail in hand make it
// poison: it is then moved to the Failed folder with a ticket instead of
// being taken again, well before systemd's restart limit (5 starts in 10 s
// by default) stops the gateway.
const PoisonCrashes = 3

// RejectError is returned by Sink.Take for a mail that can never be taken in.
type RejectError struct{ Reason string }

func (e *RejectError) Error() string { return "mail rejected: " + e.Reason }

// BatchSink is a Sink that takes several mails at once, parsing them on
// every core and committing them in groups (one transaction, one fsync a
// group). The intake uses it when the sink has it.
type BatchSink interface {
	Sink
	// TakeBatch takes mails in, in order, each as Take would: exactly once,
	// the checkpoint advanced in the transaction that commits it. It
	// returns the results of a prefix of mails (one at least), each as
	// Take's, and stops after the first mail rejected or failed: no later
	// mail may be committed, and the checkpoint pass it, before the caller
	// moved a rejected one to the Failed folder.
	TakeBatch(ctx context.Context, mails []Mail) []error
}

// A BeginSink is a BatchSink that can parse a batch before the batch
// before it commits. The intake begins the batch it fetched ahead while
// the one before commits, so that neither the parsers nor the commits wait
// at a batch's edge.
type BeginSink interface {
	BatchSink
	// Begin starts parsing mails; nothing of them is written before
	// Take. The intake takes or abandons every batch it begins.
	Begin(ctx context.Context, mails []Mail) Begun
}

// Begun is a batch begun by a BeginSink.
type Begun interface {
	// Take takes the batch in, with TakeBatch's contract.
	Take(ctx context.Context) []error
	// Abandon stops its parsing and writes nothing.
	Abandon()
}

// Mail is a raw mail and where it came from, for BatchSink.
type Mail struct {
	Raw    []byte
	Origin Origin
}
