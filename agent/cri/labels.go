package cri

import runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

// The labels the kubelet puts on every sandbox and container it creates
// (k8s.io/kubelet/pkg/types labels.go).
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// podFromLabels reads the pod identity from kubelet labels; ok is false
// when the pod name or namespace is missing (not a kubelet-made object).
func podFromLabels(labels map[string]string) (ref PodRef, ok bool) {
	ref = PodRef{
		Name:      labels[LabelPodName],
		Namespace: labels[LabelPodNamespace],
		UID:       labels[LabelPodUID],
	}
	return ref, ref.Name != "" && ref.Namespace != ""
}

// podFromMetadata reads the pod identity from a sandbox's CRI metadata,
// which the kubelet fills with the same values.
func podFromMetadata(md *runtimeapi.PodSandboxMetadata) PodRef {
	return PodRef{Name: md.GetName(), Namespace: md.GetNamespace(), UID: md.GetUid()}
}

// containerName prefers the kubelet's label over the CRI metadata name.
func containerName(labels map[string]string, md *runtimeapi.ContainerMetadata) string {
	if n := labels[LabelContainerName]; n != "" {
		return n
	}
	return md.GetName()
}
