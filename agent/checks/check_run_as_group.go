package checks

import "github.com/rtaudit/rtaudit/probes"

// run-as-group: securityContext.runAsGroup (container over pod) → CRI
// run_as_group → OCI process.user.gid → /proc/<pid>/status Gid. Unset, the
// primary group of the image's user decides (the OCI spec). In a container
// expected to run as root with CAP_SETGID a process may take any group
// itself (a daemon's workers dropping to their user): info at the process
// layer (mayChooseGroups).
func init() {
	register(Check{
		ID:          RunAsGroup,
		Severity:    High,
		Rationale:   "The primary group decides which files and devices a process can reach; group 0 opens root-group files.",
		Remediation: "Set runAsGroup and find what changed the process's group (setgid binary, exec with another user).",
		Evaluate:    evalRunAsGroup,
	})
}

func evalRunAsGroup(s *Subject) []Finding {
	fd := idField(RunAsGroup, "run_as_group", "process.user.gid", "Gid", "group", High, s.gidMap)
	var declared, cri opt[ids]
	if b := s.baseline(); b != nil && b.GID != nil {
		declared = some(same(*b.GID))
	}
	if c := s.criView(); c != nil && c.GID != nil {
		cri = some(same(*c.GID))
	}
	oci := ociGID(s.OCI)
	fs := fd.run(s, declared, cri, opt[ids]{same(oci.v), oci.ok}, func(p *probes.Process) opt[ids] {
		return some(s.procGIDs(p))
	})
	if len(fs) > 0 && s.mayChooseGroups() {
		for i := range fs {
			fs[i] = chosenGroups(fs[i])
		}
	}
	return fs
}
