package notify

import (
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// permanentError is a failure that no retry can mend: a 5xx reply, a mail
// that cannot be rendered, a recipient that is not an address.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// class says what to do after a failed transaction.
type class int

const (
	// temporary: retry this mail later; the connection is still good.
	temporary class = iota
	// permanent: never retry; record the failure on the ticket.
	permanent
	// broken: retry this mail later; the connection is lost (a network
	// error, a 421 reply), so end the batch.
	broken
)

// classify reads an error of a transaction as RFC 5321 section 4.2.1
// says: 4yz is transient, 5yz permanent; 421 also closes the connection.
// Anything else (network, TLS, timeouts) is transient and breaks the
// connection.
func classify(err error) class {
	var pe *permanentError
	if errors.As(err, &pe) {
		return permanent
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		switch {
		case se.Code == 421:
			return broken
		case se.Code >= 500:
			return permanent
		case se.Code >= 400:
			return temporary
		}
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return broken
	}
	return broken
}

// backoff returns how long to wait before attempt number attempts+1 of a
// mail: min doubled per attempt, at most max, with "equal jitter" (half
// fixed, half random) so that mails failed together spread out again.
func backoff(attempts int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 0; i < attempts && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return d/2 + rand.N(d/2+1)
}
