package checks

import "github.com/rtaudit/rtaudit/probes"

// readonly-rootfs: securityContext.readOnlyRootFilesystem → CRI
// readonly_rootfs → OCI root.readonly → the mount at "/" in
// /proc/<pid>/mountinfo is "ro". Unset or false asserts nothing.
func init() {
	register(Check{
		ID:          ReadonlyRootfs,
		Severity:    Medium,
		Rationale:   "A writable root filesystem lets an intruder drop tools and tamper with the image's binaries.",
		Remediation: "Keep readOnlyRootFilesystem: true with emptyDir volumes for the paths that must be writable; find what remounted / read-write.",
		Evaluate:    evalReadonlyRootfs,
	})
}

func evalReadonlyRootfs(s *Subject) []Finding {
	fd := field[bool]{
		check: ReadonlyRootfs, criField: "readonly_rootfs", ociField: "root.readonly", procField: "mountinfo:/",
		what: "root filesystem", equal: eq[bool], follow: isTrue,
		show: func(ro bool) string { return map[bool]string{true: "ro", false: "rw"}[ro] },
		severity: func(want, got bool) Severity {
			if want && !got {
				return Medium
			}
			return Info
		},
	}
	var declared, cri opt[bool]
	if b := s.baseline(); b != nil {
		declared = ifTrue(b.ReadOnlyRoot)
	}
	if c := s.criView(); c != nil {
		cri = some(c.ReadOnlyRoot)
	}
	return fd.run(s, declared, cri, ociReadonlyRoot(s.OCI), func(p *probes.Process) opt[bool] {
		if p.Root.MountPoint == "" {
			return opt[bool]{}
		}
		return some(p.Root.ReadOnly)
	})
}
