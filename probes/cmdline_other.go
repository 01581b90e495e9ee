//go:build !linux

package probes

// Cmdline fails on platforms other than Linux.
func (fs FS) Cmdline(pid int) ([]string, error) { return nil, ErrUnsupported }
