package cri

import (
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestPodFromLabels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   PodRef
		ok     bool
	}{
		{"kubelet labels", map[string]string{LabelPodName: "web", LabelPodNamespace: "team-a", LabelPodUID: "u1", "app": "x"}, PodRef{"web", "team-a", "u1"}, true},
		{"no uid still a pod", map[string]string{LabelPodName: "web", LabelPodNamespace: "team-a"}, PodRef{"web", "team-a", ""}, true},
		{"name only", map[string]string{LabelPodName: "web"}, PodRef{Name: "web"}, false},
		{"none", nil, PodRef{}, false},
	} {
		got, ok := podFromLabels(tc.labels)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: podFromLabels = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestContainerName(t *testing.T) {
	md := &runtimeapi.ContainerMetadata{Name: "meta"}
	if got := containerName(map[string]string{LabelContainerName: "label"}, md); got != "label" {
		t.Errorf("with label: %q", got)
	}
	if got := containerName(nil, md); got != "meta" {
		t.Errorf("without label: %q", got)
	}
	if got := containerName(nil, nil); got != "" {
		t.Errorf("nothing: %q", got)
	}
	if got := podFromMetadata(&runtimeapi.PodSandboxMetadata{Name: "p", Namespace: "n", Uid: "u"}); got != (PodRef{"p", "n", "u"}) {
		t.Errorf("podFromMetadata = %+v", got)
	}
}
