package probes

import (
	"errors"
	"fmt"
)

var (
	// ErrGone means the process exited (or its PID was reused) while it was
	// being probed. The caller should skip it: no partial record is returned.
	// A PID that does not exist at all is reported the same way, since the two
	// cannot be told apart from /proc.
	ErrGone = errors.New("process gone")

	// ErrUnsupported is returned by every FS method on platforms without a
	// Linux proc filesystem.
	ErrUnsupported = errors.New("probes: unsupported platform: needs a Linux /proc")

	// ErrMalformed means a proc file did not have the shape the kernel
	// writes (truncated, garbled, or a required field missing).
	ErrMalformed = errors.New("malformed proc file")
)

// PermissionError means a proc file could not be read for lack of
// privilege. Capability names what the reader needs, e.g. CAP_SYS_PTRACE for
// another user's ns/* links.
type PermissionError struct {
	PID        int
	File       string // relative to /proc/<pid>, e.g. "ns/net"
	Capability string // canonical name, e.g. "CAP_SYS_PTRACE"
	Err        error  // the underlying error (EACCES or EPERM)
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("probes: pid %d: reading %s needs %s: %v", e.PID, e.File, e.Capability, e.Err)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// neededCapability tells which capability lets a reader read file of another
// user's process. ns/* and mountinfo-like files are guarded by a ptrace
// access check (PTRACE_MODE_READ_FSCREDS); plain files by their mode bits.
func neededCapability(file string) string {
	switch {
	case len(file) >= 3 && file[:3] == "ns/", file == "ns", file == "mountinfo", file == "root", file == "environ", file == "exe", file == "fd":
		return "CAP_SYS_PTRACE"
	default:
		return "CAP_DAC_READ_SEARCH"
	}
}

func goneError(pid int, file string) error {
	if file == "" {
		return fmt.Errorf("probes: pid %d: %w", pid, ErrGone)
	}
	return fmt.Errorf("probes: pid %d: %s: %w", pid, file, ErrGone)
}

func malformed(pid int, file string, err error) error {
	return fmt.Errorf("probes: pid %d: %s: %w: %v", pid, file, ErrMalformed, err)
}
