package checks

import "github.com/rtaudit/rtaudit/probes"

// What a container's processes hold, in the container's terms, for callers
// that rebuild an observed pod spec (agent/pss). Processes in a user
// namespace nested below the container's are left out: their capabilities
// and root count only in their own namespace (nested-namespaces says so).

// HeldCaps is the union of the bounding sets of the container's processes
// (CapBnd of /proc/<pid>/status): every capability a process of the
// container can still hold. When no process is known, the OCI spec's
// bounding set; ok is false when neither is known.
func (s *Subject) HeldCaps() (held probes.CapSet, ok bool) {
	for _, p := range s.Processes {
		if p == nil || s.inNestedUserNS(p) {
			continue
		}
		held |= p.Caps.Bounding
		ok = true
	}
	if ok {
		return held, true
	}
	if s.OCI != nil && s.OCI.Process != nil && s.OCI.Process.Capabilities != nil {
		set, _ := probes.ParseCapNames(s.OCI.Process.Capabilities.Bounding)
		return set, true
	}
	return 0, false
}

// RunsAsRoot reports whether a process of the container has UID 0 (real,
// effective, saved or filesystem) inside the container's user namespace.
func (s *Subject) RunsAsRoot() bool {
	for _, p := range s.Processes {
		if p != nil && !s.inNestedUserNS(p) && s.procUIDs(p).has(0) {
			return true
		}
	}
	return false
}
