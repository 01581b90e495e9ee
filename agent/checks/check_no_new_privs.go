package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/probes"
)

// no-new-privs: securityContext.allowPrivilegeEscalation: false → CRI
// no_new_privs → OCI process.noNewPrivileges → /proc/<pid>/status
// NoNewPrivs 1. Unset or true asserts nothing (the kubelet's
// AddNoNewPrivileges), and a process may always set the flag on itself.
func init() {
	register(Check{
		ID:          NoNewPrivs,
		Severity:    High,
		Rationale:   "Without no_new_privs a setuid binary or file capabilities can raise a process's privileges.",
		Remediation: "Keep allowPrivilegeEscalation: false and find what cleared no_new_privs (runtime, exec path).",
		Evaluate:    evalNoNewPrivs,
	})
}

func evalNoNewPrivs(s *Subject) []Finding {
	fd := field[bool]{
		check: NoNewPrivs, criField: "no_new_privs", ociField: "process.noNewPrivileges", procField: "NoNewPrivs",
		what: "no_new_privs", equal: eq[bool], follow: isTrue,
		show: func(b bool) string { return fmt.Sprint(map[bool]int{false: 0, true: 1}[b]) },
		severity: func(want, got bool) Severity {
			if want && !got {
				return High
			}
			return Info
		},
	}
	var declared, cri opt[bool]
	if b := s.baseline(); b != nil {
		declared = ifTrue(b.NoNewPrivs != nil && *b.NoNewPrivs)
	}
	if c := s.criView(); c != nil {
		cri = some(c.NoNewPrivs != nil && *c.NoNewPrivs)
	}
	return fd.run(s, declared, cri, ociNoNewPrivs(s.OCI), func(p *probes.Process) opt[bool] { return some(p.NoNewPrivs) })
}
