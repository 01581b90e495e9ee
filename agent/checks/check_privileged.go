package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// privileged: securityContext.privileged → CRI privileged → the OCI spec
// as runtimes write it for privileged (every capability in the bounding set
// and /sys writable; the spec has no privileged field) → /proc/<pid>/status
// CapBnd holding every capability and /sys mounted read-write in
// /proc/<pid>/mountinfo. A privileged finding suppresses the
// capabilities, seccomp and no-new-privs findings it implies.
func init() {
	register(Check{
		ID:          Privileged,
		Severity:    Critical,
		Rationale:   "A privileged container has every capability, every device and no seccomp: it is root on the node.",
		Remediation: "Remove privileged: true, or find what made the runtime run it privileged (runtime config, CRI override, a hook).",
		Evaluate:    evalPrivileged,
	})
}

func evalPrivileged(s *Subject) []Finding {
	all := s.Defaults.All()
	fd := field[bool]{
		check: Privileged, criField: "privileged", ociField: "process.capabilities.bounding,mounts[/sys]", procField: "CapBnd,/sys",
		what: "privileged", equal: eq[bool], show: func(b bool) string { return fmt.Sprint(b) },
		severity: func(want, got bool) Severity {
			if got && !want {
				return Critical
			}
			return Info
		},
	}
	var declared, cri opt[bool]
	var fs []Finding
	if b := s.baseline(); b != nil {
		declared = some(b.Privileged)
		if b.Privileged && b.Kind == expect.Ephemeral {
			fs = append(fs, s.finding(Privileged, Info, LayerCRI, 0, "ephemeralContainers.securityContext.privileged", "true", "true",
				fmt.Sprintf("ephemeral container %q is privileged by declaration (kubectl debug --profile=sysadmin?): root on the node for whoever holds its shell", s.Container)))
		}
	}
	if c := s.criView(); c != nil {
		cri = some(c.Privileged)
	}
	return append(fs, fd.run(s, declared, cri, ociPrivileged(s.OCI, all), func(p *probes.Process) opt[bool] {
		if p.Caps.Bounding&all != all {
			return some(false)
		}
		if w := procSysWritable(p); w.ok {
			return w
		}
		return some(true)
	})...)
}
