package checks

import (
	"fmt"
	"strings"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// seccomp: seccompProfile (container over pod, else RuntimeDefault with the
// kubelet's --seccomp-default, else Unconfined) → CRI seccomp profile type
// (and Localhost path) → an OCI linux.seccomp section (none for Unconfined
// or privileged) → /proc/<pid>/status Seccomp 2 for RuntimeDefault and
// Localhost, 0 for Unconfined.
func init() {
	register(Check{
		ID:          Seccomp,
		Severity:    High,
		Rationale:   "Without a seccomp filter every syscall, including the rarely used ones most kernel exploits need, is reachable.",
		Remediation: "Set seccompProfile: RuntimeDefault (or enable the kubelet's seccompDefault) and find what started the process unfiltered.",
		Evaluate:    evalSeccomp,
	})
}

const seccompCheck = Seccomp

func evalSeccomp(s *Subject) []Finding {
	b := s.baseline()
	if c := s.criView(); c != nil && b != nil && !sameProfile(b.Seccomp, c.Seccomp) {
		sev := modeSeverity(b.SeccompMode(), c.SeccompMode())
		if sev == Info && b.SeccompMode() == probes.SeccompFilter && c.SeccompMode() == probes.SeccompFilter {
			sev = Medium // another filter than declared
		}
		msg := fmt.Sprintf("the CRI config has seccomp profile %s where %s expects %s", showProfile(c.Seccomp), s.source(), showProfile(b.Seccomp))
		return []Finding{s.finding(seccompCheck, sev, LayerCRI, 0, "seccomp", showProfile(b.Seccomp), showProfile(c.Seccomp), msg)}
	}
	fd := field[probes.SeccompMode]{
		check: seccompCheck, ociField: "linux.seccomp", procField: "Seccomp", what: "seccomp mode",
		equal: eq[probes.SeccompMode], show: func(m probes.SeccompMode) string { return fmt.Sprint(int(m)) },
		severity: modeSeverity,
	}
	var declared opt[probes.SeccompMode]
	if b != nil {
		declared = some(b.SeccompMode())
	}
	return fd.run(s, declared, opt[probes.SeccompMode]{}, ociSeccomp(s.OCI), func(p *probes.Process) opt[probes.SeccompMode] {
		return some(p.Seccomp)
	})
}

// modeSeverity: losing the filter is high; any filter where none was
// expected is less privilege.
func modeSeverity(want, got probes.SeccompMode) Severity {
	if want != probes.SeccompDisabled && got == probes.SeccompDisabled {
		return High
	}
	return Info
}

// sameProfile compares profile types; for Localhost the CRI carries the
// kubelet's full path (its seccomp root joined with localhostProfile), so
// the declared name must be a suffix of it.
func sameProfile(want, got expect.SeccompProfile) bool {
	if want.Type != got.Type {
		return false
	}
	return want.Type != expect.SeccompLocalhost || strings.HasSuffix(got.Localhost, want.Localhost)
}

func showProfile(p expect.SeccompProfile) string {
	if p.Type == expect.SeccompLocalhost {
		return string(p.Type) + "/" + p.Localhost
	}
	return string(p.Type)
}
