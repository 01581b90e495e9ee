package checks

import "fmt"

// undeclared-container: a declared source (kube-api, manifest) is
// configured but does not know this container. The other checks then judge
// it against its own CRI config.
func init() {
	register(Check{
		ID:          "undeclared-container",
		Severity:    High,
		Rationale:   "A container no declared pod spec accounts for was started around the kubelet or the API server: nothing vetted its security context.",
		Remediation: "Find who created it (crictl/ctr, a static pod outside the manifests, another kubelet) and remove it or declare it.",
		Evaluate:    evalUndeclared,
	})
}

func evalUndeclared(s *Subject) []Finding {
	if !s.undeclared() {
		return nil
	}
	why := ""
	if s.DeclaredFrom == "kube-api" {
		why = " (deleted from the API while still running, or created behind the kubelet's back)"
	}
	return []Finding{s.finding("undeclared-container", High, LayerCRI, 0, "declaredFrom", s.DeclaredFrom, "none",
		fmt.Sprintf("the %s source does not declare container %q of pod %s/%s%s; judged against its own CRI config", s.DeclaredFrom, s.Container, s.Namespace, s.Pod, why))}
}
