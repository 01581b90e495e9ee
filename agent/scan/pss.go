package scan

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/pss"
)

// PodLevels are one pod's Pod Security Standards levels (privileged,
// baseline, restricted): of its declared spec, and of the spec the kernel
// shows (the declared one with every drift toward more privilege applied),
// both by the upstream policy checks; and its namespace's enforce label.
type PodLevels struct {
	Namespace      string `json:"namespace"`
	Pod            string `json:"pod"`
	PodUID         string `json:"podUID"`
	DeclaredLevel  string `json:"declaredLevel"`
	EffectiveLevel string `json:"effectiveLevel"`
	// EnforceLevel and EnforceVersion are the namespace's
	// pod-security.kubernetes.io/enforce and enforce-version labels; empty
	// when the source does not know the namespace or it sets none.
	EnforceLevel   string `json:"enforceLevel,omitempty"`
	EnforceVersion string `json:"enforceVersion,omitempty"`
}

// judgePods evaluates the Pod Security Standards levels of every pod with a
// declared spec, after every container's findings are final (the hidden
// search may judge some again), and adds the pss-level findings. Pods
// judged against their CRI configs only have no levels: no pod spec.
func (s *pass) judgePods(audits []audited) {
	type podAudit struct {
		pod  *corev1.Pod
		uid  string
		ctrs []pss.Container
	}
	byPod := map[string]*podAudit{}
	var order []string
	for _, a := range audits {
		if a.pod == nil || a.subj == nil || a.err != "" || a.gone {
			continue
		}
		key := a.ref.Namespace + "/" + a.ref.Pod + "/" + a.summary.PodUID
		pa := byPod[key]
		if pa == nil {
			pa = &podAudit{pod: a.pod, uid: a.summary.PodUID}
			byPod[key] = pa
			order = append(order, key)
		}
		if a.subj.Declared != nil { // an undeclared container has no spec to start from
			pa.ctrs = append(pa.ctrs, pss.Container{Subject: a.subj})
		}
	}
	if len(order) == 0 {
		return
	}
	byID := map[string][]checks.Finding{}
	for _, f := range s.r.Findings {
		byID[f.ContainerID] = append(byID[f.ContainerID], f)
	}
	labeler, _ := s.opts.Declared.(declared.NamespaceLabeler)
	for _, key := range order {
		pa := byPod[key]
		for i := range pa.ctrs {
			pa.ctrs[i].Findings = byID[pa.ctrs[i].Subject.ContainerID]
		}
		in := pss.Pod{Declared: pa.pod, Containers: pa.ctrs}
		if labeler != nil {
			in.NamespaceLabels, _ = labeler.NamespaceLabels(pa.pod.Namespace)
		}
		ps, err := pss.Judge(in)
		if ps == nil {
			s.log.Warn("cannot evaluate the pod's Pod Security Standards level", "pod", pa.pod.Namespace+"/"+pa.pod.Name, "err", err)
			continue
		}
		if err != nil {
			s.r.Notes = append(s.r.Notes, fmt.Sprintf("pod %s/%s: %v", pa.pod.Namespace, pa.pod.Name, err))
		}
		s.r.Pods = append(s.r.Pods, PodLevels{
			Namespace: pa.pod.Namespace, Pod: pa.pod.Name, PodUID: pa.uid,
			DeclaredLevel: ps.Declared, EffectiveLevel: ps.Effective,
			EnforceLevel: ps.Enforce, EnforceVersion: ps.EnforceVersion,
		})
		if c, ok := checks.Get(checks.PSSLevel); ok {
			s.r.Findings = append(s.r.Findings, c.Evaluate(podSubject(pa.ctrs, ps))...)
		}
	}
	slices.SortFunc(s.r.Pods, func(a, b PodLevels) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Pod, b.Pod), cmp.Compare(a.PodUID, b.PodUID))
	})
}

// podSubject carries a pod's levels to the pss-level check under the name
// of the container whose drift lowered them (so waivers and Reports match
// it like any finding), else of the pod's first container.
func podSubject(ctrs []pss.Container, ps *checks.PodSecurity) *checks.Subject {
	var at *checks.Subject
	for _, c := range ctrs {
		for _, f := range c.Findings {
			if at == nil && f.Layer == ps.Layer && f.PID == ps.PID && f.Severity != checks.Info {
				at = c.Subject
			}
		}
	}
	if at == nil && len(ctrs) > 0 {
		at = ctrs[0].Subject
	}
	out := &checks.Subject{PodSecurity: ps}
	if at != nil {
		out.Namespace, out.Pod, out.Container, out.ContainerID = at.Namespace, at.Pod, at.Container, at.ContainerID
	}
	return out
}
