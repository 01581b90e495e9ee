package checks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// selinux: seLinuxOptions (container over pod: user, role, type, level) →
// CRI linux.security_context.selinux_options → OCI process.selinuxLabel →
// the SELinux context of each process (/proc/<pid>/attr/current,
// "user:role:type:level"). Only the components the spec sets are
// compared; the type (the confinement) and the level (the MCS categories
// that keep pods apart) are high, user and role medium. On a host without
// SELinux (no label, or an AppArmor one) declared options are only info:
// "not available on this host".
func init() {
	register(Check{
		ID:          SELinux,
		Severity:    High,
		Rationale:   "The SELinux type confines a container and its MCS level keeps it from other pods' files; a process with another context escapes both.",
		Remediation: "Keep SELinux enforcing with the runtime's support on; find what started the process in another context (an exec, a privileged container, a runtime override).",
		Evaluate:    evalSELinux,
	})
}

// selinuxParts splits a context into user, role, type and level (the
// level keeps its own colons: "s0:c1,c2").
func selinuxParts(ctx string) [4]string {
	var out [4]string
	parts := strings.SplitN(ctx, ":", 4)
	copy(out[:], parts)
	return out
}

// selinuxDiff names the first declared component ctx does not have, and
// whether it is the type or the level.
func selinuxDiff(want *corev1.SELinuxOptions, ctx string) (field string, major bool, ok bool) {
	got := selinuxParts(ctx)
	for i, w := range []string{want.User, want.Role, want.Type, want.Level} {
		if w != "" && got[i] != w {
			return []string{"user", "role", "type", "level"}[i], i >= 2, true
		}
	}
	return "", false, false
}

func evalSELinux(s *Subject) []Finding {
	if s.Declared == nil || s.Declared.SELinux == nil || *s.Declared.SELinux == (corev1.SELinuxOptions{}) {
		return nil
	}
	o := s.Declared.SELinux
	want := fmt.Sprintf("%s:%s:%s:%s", o.User, o.Role, o.Type, o.Level)
	procs := s.lsmProcesses()
	if len(procs) == 0 || !selinuxLabel(procs[0].LSMLabel) {
		return []Finding{s.finding(SELinux, Info, LayerProcess, s.initPID(), "attr/current", want, "no SELinux",
			fmt.Sprintf("SELinux is not available on this host: the seLinuxOptions %s declares (%s) are not enforced", s.source(), want))}
	}
	sev := func(major bool) Severity {
		if major {
			return High
		}
		return Medium
	}
	if s.criView() != nil {
		if so := s.CRI.GetLinux().GetSecurityContext().GetSelinuxOptions(); so != nil {
			got := fmt.Sprintf("%s:%s:%s:%s", so.GetUser(), so.GetRole(), so.GetType(), so.GetLevel())
			if part, major, diff := selinuxDiff(o, got); diff {
				return []Finding{s.finding(SELinux, sev(major), LayerCRI, 0, "selinux_options."+part, want, got,
					fmt.Sprintf("the CRI config has SELinux options %s where %s declares %s (%s differs)", got, s.source(), want, part))}
			}
		}
	}
	if s.OCI != nil && s.OCI.Process != nil && s.OCI.Process.SelinuxLabel != "" {
		got := s.OCI.Process.SelinuxLabel
		if part, major, diff := selinuxDiff(o, got); diff {
			return []Finding{s.finding(SELinux, sev(major), LayerOCI, 0, "process.selinuxLabel", want, got,
				fmt.Sprintf("the OCI spec has SELinux label %s where %s declares %s (%s differs)", got, s.source(), want, part))}
		}
	}
	var fs []Finding
	for _, p := range procs {
		if part, major, diff := selinuxDiff(o, p.LSMLabel); diff {
			fs = append(fs, s.finding(SELinux, sev(major), LayerProcess, p.PID, "attr/current", want, p.LSMLabel,
				fmt.Sprintf("%s runs in SELinux context %s where %s declares %s (%s differs)", where(LayerProcess, p), p.LSMLabel, s.source(), want, part)))
		}
	}
	return fs
}
