package checks

import "github.com/rtaudit/rtaudit/probes"

// capSetgid is CAP_SETGID: it alone lets a process call setgroups(2).
var capSetgid, _ = probes.ParseCapNames([]string{"SETGID"})

// mayChooseGroups reports whether the container's expected identity may
// set any supplementary groups itself: root (expectsRoot) with CAP_SETGID
// in the expected capability set.
func (s *Subject) mayChooseGroups() bool {
	caps, ok := s.expectedCaps()
	return ok && s.expectsRoot() && caps&capSetgid != 0
}

// expectsRoot reports whether the container is expected to run as UID 0:
// declared, else the OCI spec's user, which the checks hold every process
// to. The configuration layers agree by the time processes are judged, so
// the OCI spec stands in for what is unset.
func (s *Subject) expectsRoot() bool {
	var uid opt[int64]
	if b := s.baseline(); b != nil && b.UID != nil {
		uid = some(*b.UID)
	}
	if !uid.ok {
		uid = ociUID(s.OCI)
	}
	return uid.ok && uid.v == 0
}

// expectedCaps is the container's expected capability set: the baseline's,
// else the OCI spec's bounding set.
func (s *Subject) expectedCaps() (probes.CapSet, bool) {
	if b := s.baseline(); b != nil {
		return b.Caps, true
	}
	bnd, _, ok := ociCaps(s.OCI)
	return bnd, ok
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
