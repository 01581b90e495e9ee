//go:build linux

package probes

import "fmt"

// LastCap returns the highest capability the kernel knows,
// <root>/sys/kernel/cap_last_cap.
func (fs FS) LastCap() (int, error) {
	v, err := fs.proc.SysctlInts("kernel.cap_last_cap")
	if err != nil {
		return 0, fmt.Errorf("probes: read cap_last_cap: %w", err)
	}
	if len(v) != 1 || v[0] < 0 || v[0] > 63 {
		return 0, fmt.Errorf("probes: cap_last_cap: %w: %v", ErrMalformed, v)
	}
	return v[0], nil
}

// AllCaps returns every capability of the running kernel: what "ALL" in a
// pod spec means (see LastCap: <root>/sys/kernel/cap_last_cap).
func (fs FS) AllCaps() (CapSet, error) {
	last, err := fs.LastCap()
	if err != nil {
		return 0, err
	}
	return CapSetUpTo(last), nil
}
