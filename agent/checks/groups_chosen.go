package checks

import "github.com/rtaudit/rtaudit/probes"

// capSetgid is CAP_SETGID: it alone lets a process call setgroups(2).
var capSetgid, _ = probes.ParseCapNames([]string{"SETGID"})

// mayChooseGroups reports whether the container's expected identity may
// set any supplementary groups itself: UID 0 (declared, else the OCI
// spec's, which the checks hold every process to) with CAP_SETGID in the
// expected capability set. The configuration layers agree by the time
// processes are judged, so the OCI spec stands in for what is unset.
func (s *Subject) mayChooseGroups() bool {
	var uid opt[int64]
	var caps opt[probes.CapSet]
	if b := s.baseline(); b != nil {
		if b.UID != nil {
			uid = some(*b.UID)
		}
		caps = some(b.Caps)
	}
	if !uid.ok {
		uid = ociUID(s.OCI)
	}
	if bnd, _, ok := ociCaps(s.OCI); ok && !caps.ok {
		caps = some(bnd)
	}
	return uid.ok && uid.v == 0 && caps.ok && caps.v&capSetgid != 0
}

// chosenGroups grades a process finding of a container whose root may set
// any group (mayChooseGroups): the groups are the process's own choice
// within its declared power, so info.
func chosenGroups(f Finding) Finding {
	if f.Layer != LayerProcess || f.Severity == Info {
		return f
	}
	f.Severity = Info
	f.Message += ": the container runs as root with CAP_SETGID, which may set any group (less privilege than expected)"
	return f
}
