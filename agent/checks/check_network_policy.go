package checks

import (
	"fmt"
	"strings"
)

// network-policy: the NetworkPolicies selecting the pod (the API's or the
// manifests'; podSelector in the pod's namespace, policyTypes) → what can
// enforce them on this node (a policy agent in the host's network
// namespace with CAP_NET_ADMIN, found by its executable; the runtime's CNI
// configuration) and, with --netpol-probe, TCP connects between pods of
// this node that the policies deny.
//
//   - a denied connect that connects while the policies deny it: proven
//     not enforced, critical (policy, source, destination);
//   - no policy agent on the node and no probe that was refused or timed
//     out: nothing can enforce the policies, high;
//   - a probe whose control failed or that errored: inconclusive, info.
//
// A refused or timed-out connect with a working control is enforcement
// and no finding. Only pairs of this node are probed; hostNetwork pods are
// never isolated (policies do not apply to them); rules with ipBlock,
// namespace labels other than the name, or named ports are not decided
// and their pairs not probed.
func init() {
	register(Check{
		ID:          NetworkPolicy,
		Severity:    Critical,
		Rationale:   "A NetworkPolicy is only an object until the node's network enforces it: the bridge plugin, Flannel and others accept policies and enforce none.",
		Remediation: "Run a NetworkPolicy enforcer on every node (Calico, Cilium, kube-router, Antrea…) or a CNI that enforces, and check it programs this node.",
		Evaluate:    evalNetworkPolicy,
	})
}

func evalNetworkPolicy(s *Subject) []Finding {
	if s.Exposure == nil || s.Exposure.Network == nil {
		return nil
	}
	n := s.Exposure.Network
	policies := strings.Join(append(append([]string(nil), n.Ingress...), n.Egress...), ", ")
	var out []Finding
	enforced, proven := false, false
	for _, p := range n.Probes {
		field := fmt.Sprintf("probe:%s %s→%s %s", p.Direction, p.From, p.To, p.Addr)
		switch {
		case p.Control == "connected" && p.Outcome == "connected":
			proven = true
			msg := fmt.Sprintf("%s connected to %s at %s although %s isolate(s) it (%s): the policy is not enforced on this node", p.From, p.To, p.Addr, strings.Join(p.Policies, ", "), p.Direction)
			out = append(out, s.finding(NetworkPolicy, Critical, LayerProcess, s.InitPID, field, p.Outcome+" denied", "connected", msg))
		case p.Control == "connected" && (p.Outcome == "refused" || p.Outcome == "timeout"):
			enforced = true
		default:
			msg := fmt.Sprintf("probe %s from %s to %s at %s is inconclusive: control %s, denied connect %s", p.Direction, p.From, p.To, p.Addr, p.Control, p.Outcome)
			out = append(out, s.finding(NetworkPolicy, Info, LayerProcess, s.InitPID, field, "control connected", "control "+p.Control, msg))
		}
	}
	if !proven && !enforced && len(n.Enforcers) == 0 && (len(n.Ingress) > 0 || len(n.Egress) > 0) {
		cni := n.CNI
		if cni == "" {
			cni = "unknown"
		}
		msg := fmt.Sprintf("the pod is isolated by %s, but no NetworkPolicy agent runs on this node (CNI %s): nothing enforces them", policies, cni)
		out = append(out, s.finding(NetworkPolicy, High, LayerProcess, s.InitPID, "enforcer", "a NetworkPolicy agent", "none (CNI "+cni+")", msg))
	}
	return out
}
