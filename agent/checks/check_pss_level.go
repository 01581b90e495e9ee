package checks

import (
	"fmt"
	"strings"
)

// pss-level: the pod's Pod Security Standards level. The declared pod spec
// is evaluated by the upstream policy checks (k8s.io/pod-security-admission,
// the code admission runs) → the observed pod spec, the declared one with
// every field the kernel shows more privileged replaced by what it shows
// (agent/pss builds it from the other checks' drifts and /proc) → the
// namespace's pod-security.kubernetes.io/enforce level and version. A pod
// whose observed level is weaker than what it was admitted as, or than what
// its namespace enforces now (admission judged it once, maybe under other
// labels), is reported once per pod.
func init() {
	register(Check{
		ID:          PSSLevel,
		Severity:    High,
		Rationale:   "Pod Security Admission judges the declared spec once, at admission; a pod that effectively runs at a weaker level than it was admitted at, or than its namespace enforces, escapes the policy the cluster relies on.",
		Remediation: "Fix the drifts the other findings of the pod name (they say at which layer); for a pod older than its namespace's enforce label, recreate it so admission judges it, or relax the label knowingly.",
		Evaluate:    evalPSSLevel,
	})
}

// PodSecurity is a pod's Pod Security Standards levels: "privileged",
// "baseline" or "restricted"; "" when unknown.
type PodSecurity struct {
	// Declared is the level of the declared pod spec; Effective that of the
	// observed one (both at the latest policy version).
	Declared, Effective string
	// Enforce and EnforceVersion are the namespace's enforce label values
	// ("" when the source does not know the namespace or it has none);
	// EnforceAllowed says whether the observed spec passes that level at
	// that version.
	Enforce, EnforceVersion string
	EnforceAllowed          bool
	// Why is what the policy checks say the observed spec breaks at the
	// level it falls short of ("allowPrivilegeEscalation != false
	// (container "app" must set ...)").
	Why []string
	// Layer is the topmost layer of the drifts that lowered the level, and
	// PID the process of a process-layer one (0 otherwise); LayerCRI when
	// nothing drifted (the declared spec itself falls short).
	Layer Layer
	PID   int
}

var levelRank = map[string]int{"privileged": 0, "baseline": 1, "restricted": 2}

// weaker reports whether level a is known and less strict than known b.
func weaker(a, b string) bool {
	ra, ok1 := levelRank[a]
	rb, ok2 := levelRank[b]
	return ok1 && ok2 && ra < rb
}

func evalPSSLevel(s *Subject) []Finding {
	ps := s.PodSecurity
	if ps == nil || ps.Effective == "" {
		return nil
	}
	enforce := ps.Enforce
	if ps.EnforceVersion != "" && enforce != "" {
		enforce += " at " + ps.EnforceVersion
	}
	belowDeclared := weaker(ps.Effective, ps.Declared)
	belowEnforce := ps.Enforce != "" && !ps.EnforceAllowed
	why := ""
	if len(ps.Why) > 0 {
		why = ": " + strings.Join(ps.Why, "; ")
	}
	var msg, field, expected string
	switch {
	case belowDeclared && belowEnforce:
		field, expected = "effectiveLevel", ps.Declared
		msg = fmt.Sprintf("the pod effectively runs at Pod Security Standard %q, weaker than the %q its spec declares and than the namespace's enforce level %s%s", ps.Effective, ps.Declared, enforce, why)
	case belowDeclared:
		field, expected = "effectiveLevel", ps.Declared
		msg = fmt.Sprintf("the pod effectively runs at Pod Security Standard %q, weaker than the %q its spec declares%s", ps.Effective, ps.Declared, why)
		if ps.Enforce != "" {
			msg += fmt.Sprintf(" (the namespace's enforce level %s still holds)", enforce)
		}
	case belowEnforce:
		field, expected = "pod-security.kubernetes.io/enforce", ps.Enforce
		msg = fmt.Sprintf("the pod effectively runs at Pod Security Standard %q, below the namespace's enforce level %s%s", ps.Effective, enforce, why)
		if ps.Effective == ps.Declared {
			msg += " (the spec itself: admitted before the label, or never through admission)"
		}
	default:
		return nil
	}
	layer := ps.Layer
	if layer == "" {
		layer = LayerCRI
	}
	return []Finding{s.finding(PSSLevel, High, layer, ps.PID, field, expected, ps.Effective, msg)}
}
