package probes

import (
	"bytes"
	"path"
)

// parseCmdline splits /proc/<pid>/cmdline (arguments separated and ended by
// NUL) into its arguments.
func parseCmdline(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}

// ExeName is the base name of an executable path as /proc/<pid>/exe
// shows it, without the " (deleted)" the kernel appends to a file
// replaced or removed since the execve.
func ExeName(exe string) string {
	if len(exe) > len(" (deleted)") && exe[len(exe)-len(" (deleted)"):] == " (deleted)" {
		exe = exe[:len(exe)-len(" (deleted)")]
	}
	return path.Base(exe)
}
