package netpol

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Isolation names the policies that isolate a pod, per direction
// ("namespace/name", sorted).
type Isolation struct{ Ingress, Egress []string }

// Isolated reports whether any policy isolates the pod.
func (i Isolation) Isolated() bool { return len(i.Ingress) > 0 || len(i.Egress) > 0 }

// policyTypes are the directions a policy isolates: its policyTypes, else
// Ingress, and Egress when it has egress rules (the API server's default).
func policyTypes(p *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(p.Spec.PolicyTypes) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	for _, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			ingress = true
		case networkingv1.PolicyTypeEgress:
			egress = true
		}
	}
	return ingress, egress
}

// selects reports whether a policy's podSelector selects pod (same
// namespace; an invalid selector selects nothing).
func selects(p *networkingv1.NetworkPolicy, pod *corev1.Pod) bool {
	if p.Namespace != pod.Namespace {
		return false
	}
	return matches(&p.Spec.PodSelector, pod.Labels)
}

func matches(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(l))
}

// Isolating returns the policies that isolate pod. A hostNetwork pod is
// never isolated: policies do not apply to the node's namespace.
func Isolating(policies []*networkingv1.NetworkPolicy, pod *corev1.Pod) Isolation {
	var iso Isolation
	if pod == nil || pod.Spec.HostNetwork {
		return iso
	}
	for _, p := range policies {
		if !selects(p, pod) {
			continue
		}
		in, eg := policyTypes(p)
		name := p.Namespace + "/" + p.Name
		if in {
			iso.Ingress = append(iso.Ingress, name)
		}
		if eg {
			iso.Egress = append(iso.Egress, name)
		}
	}
	slices.Sort(iso.Ingress)
	slices.Sort(iso.Egress)
	return iso
}

// Verdict is what the policies say of one connection.
type Verdict int

// Verdicts. Unknown: a rule depends on what one node cannot decide
// (namespace labels beyond the name, ipBlock, named ports).
const (
	Denied Verdict = iota
	Allowed
	Unknown
)

// IngressVerdict says whether the policies allow a TCP connection from
// src to port of dst, as far as dst's ingress isolation goes (a dst no
// policy isolates for ingress is Allowed).
func IngressVerdict(policies []*networkingv1.NetworkPolicy, src, dst *corev1.Pod, port int32) Verdict {
	isolated, v := false, Denied
	for _, p := range policies {
		if in, _ := policyTypes(p); !in || !selects(p, dst) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Ingress {
			v = better(v, rule(p.Namespace, r.From, r.Ports, src, port))
		}
	}
	if !isolated {
		return Allowed
	}
	return v
}

// EgressVerdict is IngressVerdict for src's egress isolation.
func EgressVerdict(policies []*networkingv1.NetworkPolicy, src, dst *corev1.Pod, port int32) Verdict {
	isolated, v := false, Denied
	for _, p := range policies {
		if _, eg := policyTypes(p); !eg || !selects(p, src) {
			continue
		}
		isolated = true
		for _, r := range p.Spec.Egress {
			v = better(v, rule(p.Namespace, r.To, r.Ports, dst, port))
		}
	}
	if !isolated {
		return Allowed
	}
	return v
}

// rank orders verdicts by permissiveness: Denied < Unknown < Allowed.
func rank(v Verdict) int {
	switch v {
	case Allowed:
		return 2
	case Unknown:
		return 1
	}
	return 0
}

// rule judges one ingress or egress rule for the peer pod on port.
func rule(ns string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, peer *corev1.Pod, port int32) Verdict {
	pv := portVerdict(ports, port)
	if pv == Denied {
		return Denied
	}
	if len(peers) == 0 {
		return pv
	}
	best := Denied
	for _, p := range peers {
		best = better(best, peerVerdict(ns, p, peer))
	}
	return worse(best, pv)
}

// better is the more permissive of two verdicts (Allowed > Unknown >
// Denied); worse the less.
func better(a, b Verdict) Verdict {
	if rank(a) >= rank(b) {
		return a
	}
	return b
}

func worse(a, b Verdict) Verdict {
	if rank(a) <= rank(b) {
		return a
	}
	return b
}

func portVerdict(ports []networkingv1.NetworkPolicyPort, port int32) Verdict {
	if len(ports) == 0 {
		return Allowed
	}
	v := Denied
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP {
			continue
		}
		switch {
		case p.Port == nil:
			return Allowed
		case p.Port.Type != 0: // a named port: the pod's, unknown here
			v = better(v, Unknown)
		case p.EndPort != nil && port >= p.Port.IntVal && port <= *p.EndPort:
			return Allowed
		case port == p.Port.IntVal:
			return Allowed
		}
	}
	return v
}

// nameLabel is the label the API server sets on every namespace.
const nameLabel = "kubernetes.io/metadata.name"

func peerVerdict(ns string, p networkingv1.NetworkPolicyPeer, peer *corev1.Pod) Verdict {
	if p.IPBlock != nil {
		return Unknown
	}
	nsv := Denied
	switch {
	case p.NamespaceSelector == nil:
		if peer.Namespace == ns {
			nsv = Allowed
		}
	case len(p.NamespaceSelector.MatchExpressions) == 0 && len(p.NamespaceSelector.MatchLabels) == 0:
		nsv = Allowed // every namespace
	case len(p.NamespaceSelector.MatchExpressions) == 0 && len(p.NamespaceSelector.MatchLabels) == 1 && p.NamespaceSelector.MatchLabels[nameLabel] != "":
		// Only the name label, which the API server sets: decidable.
		if p.NamespaceSelector.MatchLabels[nameLabel] == peer.Namespace {
			nsv = Allowed
		}
	default:
		nsv = Unknown // the namespace's other labels are not known here
	}
	if nsv == Denied {
		return Denied
	}
	if p.PodSelector != nil && !matches(p.PodSelector, peer.Labels) {
		return Denied
	}
	return nsv
}
