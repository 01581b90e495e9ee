package netpol

import (
	"errors"
	"syscall"
	"time"
)

// Outcome is what one TCP connect saw.
type Outcome string

// Outcomes. Refused and Timeout are what enforcers do to a denied
// connection (kube-router rejects with a TCP reset or ICMP unreachable,
// others drop); Error is anything else (no route, entering the namespace
// failed).
const (
	Connected Outcome = "connected"
	Refused   Outcome = "refused"
	Timeout   Outcome = "timeout"
	Error     Outcome = "error"
)

// classify maps a dial error to an outcome.
func classify(err error) Outcome {
	var errno syscall.Errno
	switch {
	case err == nil:
		return Connected
	case errors.As(err, &errno) && (errno == syscall.ECONNREFUSED || errno == syscall.EHOSTUNREACH || errno == syscall.ENETUNREACH || errno == syscall.EACCES || errno == syscall.EPERM):
		// A REJECT rule answers with a reset (refused) or an ICMP
		// unreachable of the kind it was given; a local filter gives
		// EPERM.
		return Refused
	case isTimeout(err):
		return Timeout
	}
	return Error
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// DefaultTimeout bounds one probe connect.
const DefaultTimeout = 1500 * time.Millisecond
