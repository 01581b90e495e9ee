package expect

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Port is one port a container of the pod declares (containers[].ports).
type Port struct {
	Container     string
	ContainerPort int32
	HostPort      int32 // 0 when none
	Protocol      string
}

// podPorts lists the ports every container of the pod declares (regular,
// init and sidecar containers; ephemeral containers cannot declare any):
// in a hostNetwork pod any container's process may serve a port another
// container declares. Protocol defaults to "tcp"; names are lower case.
func podPorts(pod *corev1.Pod) []Port {
	var out []Port
	for _, list := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range list {
			for _, p := range c.Ports {
				proto := strings.ToLower(string(p.Protocol))
				if proto == "" {
					proto = "tcp"
				}
				out = append(out, Port{Container: c.Name, ContainerPort: p.ContainerPort, HostPort: p.HostPort, Protocol: proto})
			}
		}
	}
	slices.SortFunc(out, func(a, b Port) int {
		return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.ContainerPort, b.ContainerPort), cmp.Compare(a.Container, b.Container))
	})
	return out
}

// Declares reports whether the pod declares port for proto ("tcp",
// "udp") as a containerPort or a hostPort.
func (e *Expectation) Declares(proto string, port uint16) bool {
	for _, p := range e.Ports {
		if p.Protocol == proto && (p.ContainerPort == int32(port) || p.HostPort == int32(port)) {
			return true
		}
	}
	return false
}
