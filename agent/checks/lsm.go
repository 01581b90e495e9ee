package checks

import (
	"strings"

	"github.com/rtaudit/rtaudit/probes"
)

// The kernel's LSM label of a process (/proc/<pid>/attr/current): an
// SELinux context "user:role:type:level", an AppArmor label "profile
// (mode)" or "unconfined", or "" when no LSM reports labels (this
// project's CI kernel has neither AppArmor nor SELinux).

// selinuxLabel reports whether a label is an SELinux context.
func selinuxLabel(l string) bool { return strings.Count(l, ":") >= 3 }

// lsmProcesses are the container's processes (in its own user namespace)
// that have a label; none when no LSM reports labels.
func (s *Subject) lsmProcesses() []*probes.Process {
	var out []*probes.Process
	for _, p := range s.Processes {
		if p != nil && p.LSMLabel != "" && !s.inNestedUserNS(p) {
			out = append(out, p)
		}
	}
	return out
}

// initPID is the container init's PID, 0 when unknown.
func (s *Subject) initPID() int {
	if p := s.init(); p != nil {
		return p.PID
	}
	return 0
}
